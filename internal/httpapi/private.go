package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/users"
)

// requiredQuery returns a query parameter (name matched case-insensitively)
// or the original's binding error when it is absent.
func (c *call) requiredQuery(name string) (string, error) {
	v, ok := query(c.r, name)
	if !ok {
		return "", problem.Malformed(fmt.Sprintf("Required parameter \"string %s\" was not provided from query string.", name))
	}
	return v, nil
}

func (c *call) setAliases() error {
	var req users.SetAliasesRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := c.users.SetAliases(c.r.Context(), c.p.App, req); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) listAliases() error {
	userID, err := c.requiredQuery("userId")
	if err != nil {
		return err
	}
	res, err := c.users.ListAliases(c.r.Context(), c.p.App, userID)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) listCredentialsGET() error {
	userID, err := c.requiredQuery("UserId")
	if err != nil {
		return err
	}
	return c.listCredentials(userID)
}

func (c *call) listCredentialsPOST() error {
	var req users.UserIDRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	return c.listCredentials(string(req.UserID))
}

func (c *call) listCredentials(userID string) error {
	res, err := c.users.ListCredentials(c.r.Context(), c.p.App, userID)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) deleteCredential() error {
	var req users.DeleteCredentialRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := c.users.DeleteCredential(c.r.Context(), c.p.App, req); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) listUsers() error {
	res, err := c.users.ListUsers(c.r.Context(), c.p.App)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) countUsers() error {
	res, err := c.users.CountUsers(c.r.Context(), c.p.App)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) deleteUser() error {
	var req users.UserIDRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := c.users.DeleteUser(c.r.Context(), c.p.App, req); err != nil {
		return err
	}
	// The original answers 200 with an empty body here.
	return c.empty(http.StatusOK)
}

func (c *call) listAuthConfigs() error {
	var purpose *string
	if v, ok := query(c.r, "purpose"); ok {
		purpose = &v
	}
	res, err := c.configs.List(c.r.Context(), c.p.App.ID, purpose)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) addAuthConfig() error {
	var req authconfig.Request
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := c.configs.Add(c.r.Context(), c.p.App.ID, req); err != nil {
		return err
	}
	return c.empty(http.StatusCreated)
}

func (c *call) editAuthConfig() error {
	var req authconfig.Request
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := c.configs.Edit(c.r.Context(), c.p.App.ID, req); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) deleteAuthConfig() error {
	var req authconfig.DeleteRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := c.configs.Delete(c.r.Context(), c.p.App.ID, req); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) listEvents() error {
	pageText, err := c.requiredQuery("pageNumber")
	if err != nil {
		return err
	}
	page, err := queryInt32("pageNumber", pageText)
	if err != nil {
		return err
	}
	size := events.DefaultPageSize
	if v, ok := query(c.r, "numberOfResults"); ok {
		if size, err = queryInt32("numberOfResults", v); err != nil {
			return err
		}
	}
	res, err := c.eventLog.List(c.r.Context(), c.p.App, page, size)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

// queryInt32 parses a numeric query parameter the way the original binds
// it, as a 32-bit int: anything else, larger values included, is a 400.
func queryInt32(name, text string) (int, error) {
	n, err := strconv.ParseInt(text, 10, 32)
	if err != nil {
		return 0, problem.Field(name, "The value '"+text+"' is not a valid 32-bit whole number.")
	}
	return int(n), nil
}

func (c *call) setSelfFeatures() error {
	var req apps.SelfFeaturesRequest
	if err := c.decodeFeatures(&req); err != nil {
		return err
	}
	if err := c.apps.SetSelfFeatures(c.r.Context(), c.p.App, req); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) sendMagicLink() error {
	var req magiclink.SendRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := c.magicLinks.Send(c.r.Context(), c.p.App, req); err != nil {
		c.countMagicLinkRefusal(err)
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) reportRange() (time.Time, time.Time, error) {
	from, _ := query(c.r, "from")
	to, _ := query(c.r, "to")
	return reports.ParseRange(from, to)
}

func (c *call) credentialsReport() error {
	from, to, err := c.reportRange()
	if err != nil {
		return err
	}
	res, err := c.reports.Credentials(c.r.Context(), c.p.App.ID, from, to)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) activeUsersReport() error {
	from, to, err := c.reportRange()
	if err != nil {
		return err
	}
	res, err := c.reports.ActiveUsers(c.r.Context(), c.p.App.ID, from, to)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}
