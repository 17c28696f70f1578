package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/mds/mdstest"
	"github.com/passwordless-oss/server/internal/softauthn"
)

func authenticatorWith(aaguid uuid.UUID) *softauthn.Authenticator {
	a := softauthn.New()
	a.AAGUID = aaguid
	return a
}

// tryRegister runs a registration and returns the register/complete
// response.
func (e *env) tryRegister(a *softauthn.Authenticator, userID, attestation string) *response {
	e.t.Helper()
	regToken := e.token("/register/token", e.secret(), map[string]any{"userId": userID, "username": userID, "attestation": attestation})
	var begin beginResponse
	e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": regToken})).want(200).decode(&begin)
	resp, _, err := a.Create(begin.Data, testOrigin)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do("POST", "/register/complete", e.public(), clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)}))
}

func TestAuthenticatorEndpointsNeedAttestationPlan(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		notOnPlan := map[string]any{"errorCode": "attestation_not_supported_on_plan"}
		e.do("GET", "/authenticators/list?isAllowed=true", e.secret(), nil).wantProblem(403, notOnPlan)
		e.do("POST", "/authenticators/add", e.secret(), map[string]any{"aaGuids": []string{mdstest.Certified.String()}, "isAllowed": true}).wantProblem(403, notOnPlan)
		e.do("POST", "/authenticators/remove", e.secret(), map[string]any{"aaGuids": []string{mdstest.Certified.String()}}).wantProblem(403, notOnPlan)
	})
}

func TestAuthenticatorPolicy(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"allowAttestation":true}`).want(204)

		// The MDS marks this authenticator revoked: refused for every app.
		e.tryRegister(authenticatorWith(mdstest.Revoked), "u0", "none").
			wantProblem(400, map[string]any{"errorCode": "fido2_invalid_registration", "title": "Authenticator found with undesirable status. Was REVOKED"})

		add := func(isAllowed bool, ids ...uuid.UUID) *response {
			var s []string
			for _, id := range ids {
				s = append(s, strings.ToUpper(id.String()))
			}
			return e.do("POST", "/authenticators/add", e.secret(), map[string]any{"aaGuids": s, "isAllowed": isAllowed})
		}
		add(true, mdstest.Unknown).wantProblem(400, map[string]any{"title": "One or more authenticators do not exist in the FIDO2 MDS."})
		add(false, mdstest.Uncertified).want(204)
		e.tryRegister(authenticatorWith(mdstest.Uncertified), "u1", "none").wantProblem(400, map[string]any{"errorCode": "authenticator_not_allowed"})

		add(true, mdstest.Certified).want(204)
		list := e.do("GET", "/authenticators/list?isAllowed=true", e.secret(), nil).want(200)
		var entries []map[string]any
		list.decode(&entries)
		if len(entries) != 1 || entries[0]["aaGuid"] != mdstest.Certified.String() || entries[0]["createdAt"] == nil {
			t.Fatalf("allow list = %v", entries)
		}
		// An allow list exists and the authenticator is not on it.
		e.tryRegister(authenticatorWith(mdstest.Fixed), "u2", "none").wantProblem(400, map[string]any{"errorCode": "attestation_required"})
		e.tryRegister(authenticatorWith(mdstest.Fixed), "u3", "direct").wantProblem(400, map[string]any{"errorCode": "authenticator_not_allowed"})
		e.tryRegister(authenticatorWith(mdstest.Certified), "u4", "none").want(200)

		e.do("POST", "/authenticators/remove", e.secret(), map[string]any{"aaGuids": []string{mdstest.Certified.String()}}).want(204)
		e.do("POST", "/authenticators/remove", e.secret(), map[string]any{"aaGuids": []string{}}).wantProblem(400, nil)
		e.tryRegister(authenticatorWith(mdstest.Fixed), "u5", "none").want(200)
	})
}

func TestMDSEndpoints(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		var types, statuses []string
		e.do("GET", "/mds/attestation-types", mgmt(), nil).want(200).decode(&types)
		e.do("GET", "/mds/certification-statuses", mgmt(), nil).want(200).decode(&statuses)
		if len(types) == 0 || len(statuses) == 0 {
			t.Fatalf("types %v statuses %v", types, statuses)
		}
		var entries []map[string]any
		e.do("GET", "/mds/entries?attestationTypes="+types[0], mgmt(), nil).want(200).decode(&entries)
		if len(entries) == 0 {
			t.Fatal("no entries for a listed attestation type")
		}
		e.do("GET", "/mds/entries?attestationTypes=bad-value", mgmt(), nil).wantProblem(400, nil)
		e.do("GET", "/mds/entries", e.secret(), nil).want(401)
	})
}
