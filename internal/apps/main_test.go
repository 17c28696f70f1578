package apps_test

import (
	"testing"

	"github.com/passwordless-oss/server/internal/store/teststores"
)

// TestMain lets the package's tests on PostgreSQL reuse emptied databases
// (teststores.Main).
func TestMain(m *testing.M) { teststores.Main(m) }
