package apps_test

import (
	"context"
	"errors"
	"testing"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/token"
)

func TestGetAndList(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := context.Background()
		st := open(t)
		svc := apps.New(st, token.NewSealer(st, nil), nil)
		for _, id := range []string{"zeta", "alpha"} {
			if _, err := svc.Create(ctx, id, apps.CreateRequest{AdminEmail: "a@example.com"}); err != nil {
				t.Fatal(err)
			}
		}

		app, err := svc.Get(ctx, "alpha")
		if err != nil || app.ID != "alpha" || app.AdminEmail != "a@example.com" {
			t.Fatalf("Get(alpha) = %+v, %v", app, err)
		}
		_, err = svc.Get(ctx, "missing")
		var p *problem.Problem
		if !apps.IsNotFound(err) || !errors.As(err, &p) || p.Status != 400 {
			t.Fatalf("Get(missing) = %v; want the app_not_found problem", err)
		}
		if apps.IsNotFound(errors.New("app_not_found")) || apps.IsNotFound(problem.BadRequest("other", "x")) {
			t.Fatal("IsNotFound matched an unrelated error")
		}

		list, err := svc.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != "alpha" || list[1].ID != "zeta" {
			t.Fatalf("List = %+v; want alpha, zeta", list)
		}
		if _, err := svc.MarkDelete(ctx, "zeta", apps.MarkDeleteRequest{}); err != nil {
			t.Fatal(err) // a new app is deleted at once
		}
		if list, _ := svc.List(ctx); len(list) != 1 || list[0].ID != "alpha" {
			t.Fatalf("List after deleting zeta = %+v", list)
		}
	})
}
