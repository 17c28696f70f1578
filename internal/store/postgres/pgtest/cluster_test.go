package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestClusterStopStart: the cluster answers, refuses connections while
// stopped, and keeps its data across a restart.
func TestClusterStopStart(t *testing.T) {
	c := StartCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, c.URL)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(`CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	if err := exec(`SELECT 1`); err == nil {
		t.Fatal("a stopped cluster accepted a connection")
	}
	c.Start()
	if err := exec(`DO $$ BEGIN IF (SELECT n FROM kept) <> 1 THEN RAISE 'lost'; END IF; END $$`); err != nil {
		t.Fatal(err)
	}
}
