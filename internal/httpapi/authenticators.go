package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/passwordless-oss/server/internal/attestation"
	"github.com/passwordless-oss/server/internal/problem"
)

func (c *call) listAuthenticators() error {
	v, err := c.requiredQuery("isAllowed")
	if err != nil {
		return err
	}
	isAllowed, err := strconv.ParseBool(strings.ToLower(v))
	if err != nil {
		return problem.Field("isAllowed", "The value '"+v+"' is not valid for isAllowed; use true or false.")
	}
	res, err := c.attestation.List(c.r.Context(), c.p.App, isAllowed)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) addAuthenticators() error {
	var req attestation.AddRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := c.attestation.Add(c.r.Context(), c.p.App, req); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) removeAuthenticators() error {
	var req attestation.RemoveRequest
	if err := c.decode(&req); err != nil {
		return err
	}
	if err := c.attestation.Remove(c.r.Context(), c.p.App, req); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) mdsAttestationTypes() error {
	return c.json(http.StatusOK, c.attestation.AttestationTypes())
}

func (c *call) mdsCertificationStatuses() error {
	return c.json(http.StatusOK, c.attestation.CertificationStatuses())
}

func (c *call) mdsEntries() error {
	res, err := c.attestation.Entries(queryValues(c.r, "attestationTypes"), queryValues(c.r, "certificationStatuses"))
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}
