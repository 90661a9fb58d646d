//go:build unix

package state

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// fileLock is an advisory lock on "<db>.lock": shared by every process using the database,
// exclusive for Restore.
type fileLock struct{ f *os.File }

func lockFile(dbPath string, exclusive bool) (*fileLock, error) {
	p := dbPath + ".lock"
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("state DB lock: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			if exclusive {
				return nil, fmt.Errorf("%w (%s is locked): stop the server and other setupranali commands using it first", ErrInUse, p)
			}
			return nil, fmt.Errorf("%w (%s is locked exclusively: a restore is running); retry when it is done", ErrInUse, p)
		}
		return nil, fmt.Errorf("state DB lock %s: %w", p, err)
	}
	return &fileLock{f: f}, nil
}

func (l *fileLock) release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Close() // closing drops the flock
	l.f = nil
}
