package console

import (
	"fmt"
	"time"
)

// Numbers and durations as people write them.

// plural writes n with the noun in the right number: "1 user", "2 users".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// humanDuration writes d in its largest whole unit: "3 days", "24 hours",
// "90 minutes". A day count is used from two days on, so a day is "24
// hours", as it is usually said of a link's lifetime.
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return plural(int64(d/(24*time.Hour)), "day", "days")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour", "hours")
	case d >= time.Minute && d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute", "minutes")
	}
	return plural(int64(d.Round(time.Second)/time.Second), "second", "seconds")
}

// usersSummary says how many users the page lists and how many of them
// have a passkey. The two differ: /users/count (as in the original) counts
// users with a credential, /users/list also users with only aliases.
func usersSummary(listed int, withPasskeys int64) string {
	n := int64(listed)
	switch {
	case n == 0:
		return "No users yet."
	case n == withPasskeys && n == 1:
		return "1 user, with a passkey."
	case n == withPasskeys:
		return plural(n, "user", "users") + ", all with passkeys."
	case withPasskeys == 0:
		return plural(n, "user", "users") + ", none with a passkey yet (a user with only aliases has not registered one)."
	}
	return fmt.Sprintf("%s, %d with a passkey (a user with only aliases has not registered one yet).", plural(n, "user", "users"), withPasskeys)
}
