// Package multiinstance holds tests that run two processes of the real
// server binary against one PostgreSQL database and check that what must
// hold across instances does: tokens and sessions minted by one instance are
// accepted by the other, also right after it rotated the app's token key,
// single-use rules hold under concurrent requests split across both, the
// magic-link rate limit is shared, a console sign-out on one instance
// holds on the other (and on a restarted SQLite server), and concurrent
// migrations are safe. The
// package has no code of its own.
package multiinstance
