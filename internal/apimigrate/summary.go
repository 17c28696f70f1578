package apimigrate

import (
	"fmt"
	"io"
	"strings"
)

// Summary is what a run copied, or would copy in a dry run.
type Summary struct {
	AppID    string
	DryRun   bool
	Resumed  bool
	Complete bool

	Users          int // users read from the source
	Credentials    int // credentials written (dry run: found)
	Aliases        int // aliases written (dry run: found)
	Purposes       int
	Authenticators int
	// CredentialsAlreadyThere and AliasesAlreadyThere were in the target
	// already, from an earlier run, and left as they were.
	CredentialsAlreadyThere int
	AliasesAlreadyThere     int

	// NotFound are listed users without credentials or aliases on the source.
	NotFound []string
	// Failed are users that could not be copied.
	Failed []UserFailure
}

// UserFailure is a user that could not be copied, and why.
type UserFailure struct {
	UserID string
	Reason string
}

// notCopied is what the private API does not give, whatever the run.
var notCopied = []string{
	"the event log and the usage reports (they start afresh)",
	"the app's features and limits, which the API does not show: magic-link quota and switch, event logging, user limit, " +
		"sign-in token generation (new-app defaults apply, attestation follows the source; change them with POST /admin/apps/<app>/features)",
	"the source's API keys (the app has new ones)",
}

// maxListed bounds the users named per list in the summary.
const maxListed = 20

// Print writes the summary for people.
func (s *Summary) Print(w io.Writer) {
	verb := "Copied"
	if s.DryRun {
		verb = "Would copy"
	}
	fmt.Fprintf(w, "\n%s for app %q:\n", verb, s.AppID)
	fmt.Fprintf(w, "  users:             %d read from the source", s.Users)
	if len(s.NotFound) > 0 {
		fmt.Fprintf(w, ", %d of them without credentials or aliases there", len(s.NotFound))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  credentials:       %d%s\n", s.Credentials, already(s.CredentialsAlreadyThere))
	fmt.Fprintf(w, "  aliases:           %d%s\n", s.Aliases, already(s.AliasesAlreadyThere))
	fmt.Fprintf(w, "  sign-in purposes:  %d\n", s.Purposes)
	fmt.Fprintf(w, "  authenticators:    %d (allow and block lists)\n", s.Authenticators)
	if len(s.NotFound) > 0 {
		fmt.Fprintf(w, "Users of the list not found on the source: %s\n", names(s.NotFound))
	}
	if len(s.Failed) > 0 {
		fmt.Fprintf(w, "Could not copy %d users:\n", len(s.Failed))
		for i, f := range s.Failed {
			if i == maxListed {
				fmt.Fprintf(w, "  … and %d more\n", len(s.Failed)-maxListed)
				break
			}
			fmt.Fprintf(w, "  %q: %s\n", f.UserID, f.Reason)
		}
	}
	fmt.Fprintln(w, "Not copied:")
	for _, n := range notCopied {
		fmt.Fprintf(w, "  - %s\n", n)
	}
	switch {
	case s.DryRun:
	case s.Complete:
		fmt.Fprintf(w, "The import of app %q is complete; its API keys are unlocked.\n", s.AppID)
	default:
		fmt.Fprintf(w, "The import of app %q is unfinished; its API keys stay locked until a run completes it.\n", s.AppID)
	}
}

func already(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (and %d already there from an earlier run)", n)
}

func names(ids []string) string {
	var b strings.Builder
	for i, id := range ids {
		if i == maxListed {
			fmt.Fprintf(&b, " … and %d more", len(ids)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", id)
	}
	return b.String()
}
