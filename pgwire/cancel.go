package pgwire

import "crypto/subtle"

// register gives c a process id unique among live connections and makes it reachable by
// CancelRequest. The id is a counter: it carries no meaning and the secret is what protects it.
func (s *Server) register(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		s.lastPID++
		if s.lastPID == 0 {
			continue
		}
		if _, taken := s.keys[s.lastPID]; !taken {
			break
		}
	}
	c.pid = s.lastPID
	s.keys[c.pid] = c
}

// cancelBackend serves a CancelRequest: it cancels the running query of the connection with
// that pid if the secret matches. Like PostgreSQL it answers nothing either way, so a guesser
// learns nothing; the secret is compared in constant time.
func (s *Server) cancelBackend(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.keys[pid]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(secret, c.secret[:]) != 1 {
		s.log.Info("cancel request ignored: no matching backend", "pid", pid)
		return
	}
	s.log.Info("cancel request accepted", "pid", pid)
	c.cancelRunning(errCanceled)
}
