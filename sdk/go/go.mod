module github.com/passwordless-oss/server/sdk/go

go 1.24
