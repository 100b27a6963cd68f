package boundedstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// stuck ignores its context until release is closed, and panics when
// asked to.
type stuck struct {
	release chan struct{}
	panics  bool
}

func (s stuck) wait() {
	if s.panics {
		panic("store bug")
	}
	<-s.release
}

func (s stuck) Get(context.Context, string) ([]byte, bool, error) {
	s.wait()
	return []byte("v"), true, nil
}
func (s stuck) Set(context.Context, string, []byte, time.Duration) error {
	s.wait()
	return nil
}
func (s stuck) SetNX(context.Context, string, []byte, time.Duration) (bool, error) {
	s.wait()
	return true, nil
}
func (s stuck) CompareAndDelete(context.Context, string, []byte) (bool, error) {
	s.wait()
	return true, nil
}

func TestBoundedReturnsWithinItsTimeoutWhateverTheStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		b := Bounded{Store: stuck{release: release}, Timeout: 2 * time.Second}
		start := time.Now()
		_, err := b.SetNX(context.Background(), "k", nil, time.Minute)
		if err == nil || !strings.Contains(err.Error(), "did not answer within 2s") || time.Since(start) != 2*time.Second {
			t.Fatalf("a store ignoring its context: %v after %v", err, time.Since(start))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, _, err := b.Get(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the caller's context ended first: %v", err)
		}
	})
	b := Bounded{Store: stuck{panics: true}, Timeout: time.Second}
	for name, call := range map[string]func() error{
		"Get":              func() error { _, _, err := b.Get(context.Background(), "k"); return err },
		"Set":              func() error { return b.Set(context.Background(), "k", nil, 0) },
		"SetNX":            func() error { _, err := b.SetNX(context.Background(), "k", nil, 0); return err },
		"CompareAndDelete": func() error { _, err := b.CompareAndDelete(context.Background(), "k", nil); return err },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "the store panicked: store bug") {
			t.Errorf("%s: a panic is an error: %v", name, err)
		}
	}
	ok := Bounded{Store: stuck{release: closed()}, Timeout: time.Second}
	if v, found, err := ok.Get(context.Background(), "k"); err != nil || !found || string(v) != "v" {
		t.Errorf("an answer passes through: %q %v %v", v, found, err)
	}
}

func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
