package passwordless_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	passwordless "github.com/passwordless-oss/server/sdk/go"
)

// stubServer stands in for the API in these examples, so that they run
// without one; point a real client at your server instead.
func stubServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /register/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"token":"register_k8Qx"}`)
	})
	mux.HandleFunc("POST /signin/verify", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("ApiSecret") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"type":"https://docs.passwordless.dev/guide/errors.html#invalid_token",`+
			`"title":"The token has already been used.","status":400,"errorCode":"invalid_token"}`)
	})
	mux.HandleFunc("GET /credentials/list", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"values":[{"descriptor":{"type":"public-key","id":"AQID"},"userId":"`+
			r.URL.Query().Get("userId")+`","nickname":"Work laptop","createdAt":"2025-03-01T09:30:00.1234567",`+
			`"aaGuid":"fbfc3007-154e-4ecc-8c0b-6e020557d7bd","authenticatorName":"iCloud Keychain"}]}`)
	})
	return httptest.NewServer(mux)
}

func ExampleClient_CreateRegisterToken() {
	srv := stubServer()
	defer srv.Close()
	client := passwordless.New("myapp:secret:…", passwordless.WithBaseURL(srv.URL))

	token, err := client.CreateRegisterToken(context.Background(), passwordless.RegisterOptions{
		UserID:   "5c5bb4c6-8c4e-4d6b-b3c1-0b8f7a1f9c2d",
		Username: "ada@example.com",
		Aliases:  []string{"ada@example.com"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Hand the token to the browser client's register call.
	fmt.Println(token)
	// Output: register_k8Qx
}

func ExampleClient_VerifyToken() {
	srv := stubServer()
	defer srv.Close()
	client := passwordless.New("myapp:secret:…", passwordless.WithBaseURL(srv.URL))

	_, err := client.VerifyToken(context.Background(), "verify_…")
	var p *passwordless.Problem
	if errors.As(err, &p) {
		fmt.Println(p.Status, p.ErrorCode, p.Title)
	}
	fmt.Println(passwordless.IsProblem(err, "invalid_token"))
	// Output:
	// 400 invalid_token The token has already been used.
	// true
}

func ExampleClient_ListCredentials() {
	srv := stubServer()
	defer srv.Close()
	client := passwordless.New("myapp:secret:…", passwordless.WithBaseURL(srv.URL))

	creds, err := client.ListCredentials(context.Background(), "user-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range creds {
		fmt.Printf("%s %q %s, created %s\n", c.UserID, c.Nickname, c.AuthenticatorName, c.CreatedAt.Format(time.DateOnly))
	}
	// Output: user-1 "Work laptop" iCloud Keychain, created 2025-03-01
}

func ExampleWithHTTPClient() {
	client := passwordless.New("myapp:secret:…",
		passwordless.WithBaseURL("http://localhost:5701"),
		passwordless.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	fmt.Println(client.BaseURL())
	// Output: http://localhost:5701
}
