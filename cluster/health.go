package cluster

import (
	"context"
	"time"
)

// Health configures how a Client checks its members: each member's wire
// is pinged every Period (ipfi.Wire.Ping), and a member whose ping takes
// longer than Timeout, or fails, takes no new calls until a ping answers
// again. A member that stops answering (a stopped process, a lost network)
// is so out of rotation within Period plus Timeout, before its wire's
// keepalive or the membership declares it gone. A zero field means its
// default; a negative Period turns the checks off.
type Health struct {
	// Period is how often each member is pinged. Default 1 s.
	Period time.Duration
	// Timeout is how long a ping may take. Default 1 s.
	Timeout time.Duration
}

func (h Health) withDefaults() Health {
	if h.Period == 0 {
		h.Period = time.Second
	}
	if h.Timeout == 0 {
		h.Timeout = time.Second
	}
	return h
}

// checkHealth pings m's wire every period until m is closed, and keeps
// m.healthy; it logs every change.
func (c *Client) checkHealth(m *member) {
	defer close(m.done)
	h := c.cfg.Health
	if h.Period < 0 {
		<-m.stop
		return
	}
	t := time.NewTicker(h.Period)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		w := m.wire()
		if w == nil {
			continue // down: not picked anyway; the supervisor redials
		}
		ctx, cancel := context.WithTimeout(context.Background(), h.Timeout)
		_, err := w.Ping(ctx)
		cancel()
		ok := err == nil
		if m.setHealthy(ok) {
			if ok {
				c.logger.Info("cluster: member answers again", "member", m.m.ID)
			} else {
				c.logger.Warn("cluster: member out of rotation: its ping failed", "member", m.m.ID, "err", err)
			}
			c.mu.Lock()
			c.poke()
			c.mu.Unlock()
		}
	}
}
