package mail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// DefaultDirFrom is the sender DirMailer uses when a message has none.
const DefaultDirFrom = "no-reply@localhost"

// DirMailer is a development mailer: it writes every message as an .eml
// file (mode 0600) into a directory instead of sending it. It never logs.
type DirMailer struct {
	dir string
	// From and FromName are the sender used when a Message leaves them
	// empty; From defaults to DefaultDirFrom.
	From     string
	FromName string
}

// NewDirMailer returns a mailer writing into dir, creating it (mode 0700)
// if needed.
func NewDirMailer(dir string) (*DirMailer, error) {
	if dir == "" {
		return nil, errors.New("mail: directory is required")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return &DirMailer{dir: dir, From: DefaultDirFrom}, nil
}

// Dir returns the directory the mailer writes into.
func (d *DirMailer) Dir() string { return d.dir }

// Send writes m into a new file named <UTC time>-<random>.eml.
func (d *DirMailer) Send(ctx context.Context, m Message) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	from := d.From
	if from == "" {
		from = DefaultDirFrom
	}
	msg, err := m.compose(from, d.FromName)
	if err != nil {
		return err
	}
	// CreateTemp makes the file with mode 0600 and a unique name.
	f, err := os.CreateTemp(d.dir, time.Now().UTC().Format("20060102T150405Z")+"-*.eml")
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("mail: %w", cerr)
		}
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if _, err := msg.WriteTo(f); err != nil {
		return fmt.Errorf("mail: writing message file: %w", err)
	}
	return nil
}
