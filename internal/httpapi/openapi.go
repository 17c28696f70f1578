package httpapi

import "github.com/passwordless-oss/server/api"

// openAPI serves the API's OpenAPI document. It needs no key, so that
// client generators and API explorers can fetch it.
func (c *call) openAPI() error {
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.Write(api.OpenAPI)
	return nil
}
