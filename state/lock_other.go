//go:build !unix

package state

// fileLock is a no-op where flock is unavailable: Restore cannot detect a running server there,
// and the operations guide says to stop it first.
type fileLock struct{}

func lockFile(string, bool) (*fileLock, error) { return &fileLock{}, nil }

func (*fileLock) release() {}
