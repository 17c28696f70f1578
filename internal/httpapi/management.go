package httpapi

import (
	"net/http"
	"time"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/store"
)

func (c *call) appID() string { return c.r.PathValue("appId") }

func (c *call) appAvailable() error {
	res, err := c.apps.Available(c.r.Context(), c.appID())
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) appCreate() error {
	if err := apps.ValidateAppID(c.appID()); err != nil {
		return err
	}
	var req apps.CreateRequest
	if err := c.decodeOptional(&req); err != nil {
		return err
	}
	res, err := c.apps.Create(c.r.Context(), c.appID(), req)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) appFeatures() error {
	res, err := c.apps.Features(c.r.Context(), c.appID())
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) appSetFeatures() error {
	var req apps.SetFeaturesRequest
	if err := c.decodeFeatures(&req); err != nil {
		return err
	}
	if err := c.apps.SetFeatures(c.r.Context(), c.appID(), req); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) appFreeze() error {
	if err := c.apps.Freeze(c.r.Context(), c.appID()); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) appUnfreeze() error {
	if err := c.apps.Unfreeze(c.r.Context(), c.appID()); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) keyCreatePublic() error { return c.keyCreate(store.KeyPublic) }
func (c *call) keyCreateSecret() error { return c.keyCreate(store.KeySecret) }

func (c *call) keyCreate(kind store.KeyKind) error {
	var req apps.CreateKeyRequest
	if err := c.decodeOptional(&req); err != nil {
		return err
	}
	res, err := c.apps.CreateKey(c.r.Context(), c.appID(), kind, req)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) keyList() error {
	res, err := c.apps.ListKeys(c.r.Context(), c.appID())
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) keyLock() error   { return c.keySetLocked(true) }
func (c *call) keyUnlock() error { return c.keySetLocked(false) }

func (c *call) keySetLocked(locked bool) error {
	if err := c.apps.SetKeyLocked(c.r.Context(), c.appID(), c.r.PathValue("keyId"), locked); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) keyDelete() error {
	if err := c.apps.DeleteKey(c.r.Context(), c.appID(), c.r.PathValue("keyId")); err != nil {
		return err
	}
	return c.empty(http.StatusNoContent)
}

func (c *call) appCanDeleteImmediately() error {
	ok, err := c.apps.CanDeleteImmediately(c.r.Context(), c.appID())
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, ok)
}

func (c *call) appMarkDelete() error {
	var req apps.MarkDeleteRequest
	if err := c.decodeOptional(&req); err != nil {
		return err
	}
	res, err := c.apps.MarkDelete(c.r.Context(), c.appID(), req)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) appCancelDelete() error {
	res, err := c.apps.CancelDelete(c.r.Context(), c.appID())
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) appDelete() error {
	res, err := c.apps.Delete(c.r.Context(), c.appID())
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

func (c *call) appsPendingDeletion() error {
	res, err := c.apps.ListPendingDeletion(c.r.Context())
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

// Health endpoints (api-spec.md §4.4).

func (c *call) healthHTTP() error {
	c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	c.w.Write([]byte("Healthy"))
	return nil
}

type healthCheck struct {
	Status      string         `json:"status"`
	Description string         `json:"description,omitempty"`
	Elapsed     float64        `json:"elapsedMilliseconds"`
	Data        map[string]any `json:"data"`
}

type healthReport struct {
	Status  string                 `json:"status"`
	Elapsed float64                `json:"elapsedMilliseconds"`
	Results map[string]healthCheck `json:"results"`
}

func (c *call) healthStorage() error {
	start := time.Now()
	check := healthCheck{Status: "Healthy", Data: map[string]any{}}
	status := http.StatusOK
	if err := c.health.Ping(c.r.Context()); err != nil {
		c.log.Error("storage health check failed", "err", err)
		check.Status, status = "Unhealthy", http.StatusServiceUnavailable
	} else if err := c.health.Degraded(); err != nil {
		// Reads are served, so the instance stays in rotation (200), but
		// the report says writes are refused.
		check.Status, check.Description = "Degraded", err.Error()
	}
	check.Elapsed = ms(time.Since(start))
	return c.json(status, healthReport{Status: check.Status, Elapsed: check.Elapsed, Results: map[string]healthCheck{"db": check}})
}

func (c *call) healthVersion() error {
	check := healthCheck{Status: "Healthy", Data: map[string]any{"version": c.version}}
	return c.json(http.StatusOK, healthReport{Status: "Healthy", Results: map[string]healthCheck{"version": check}})
}

func (c *call) healthThrow() error {
	return problemTestError
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
