package boundedstore

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
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
		b := &Bounded{Store: stuck{release: release}, Timeout: 2 * time.Second}
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
	b := &Bounded{Store: stuck{panics: true}, Timeout: time.Second}
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
	ok := &Bounded{Store: stuck{release: closed()}, Timeout: time.Second}
	if v, found, err := ok.Get(context.Background(), "k"); err != nil || !found || string(v) != "v" {
		t.Errorf("an answer passes through: %q %v %v", v, found, err)
	}
}

func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// flaky hangs (ignoring its context, until release closes) while hang is
// set, and counts its calls.
type flaky struct {
	hang    *atomic.Bool
	calls   *atomic.Int32
	release chan struct{}
}

func (f flaky) Get(ctx context.Context, key string) ([]byte, bool, error) {
	f.calls.Add(1)
	if f.hang.Load() {
		<-f.release // a store that ignores its context
	}
	return nil, false, nil
}
func (f flaky) Set(context.Context, string, []byte, time.Duration) error { return nil }
func (f flaky) SetNX(context.Context, string, []byte, time.Duration) (bool, error) {
	return true, nil
}
func (f flaky) CompareAndDelete(context.Context, string, []byte) (bool, error) { return true, nil }

func TestBoundedCoolsDownAfterTwoTimeoutsInARow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hang atomic.Bool
		var calls atomic.Int32
		release := make(chan struct{})
		defer close(release)
		b := &Bounded{Store: flaky{&hang, &calls, release}, Timeout: time.Second, Cooldown: 30 * time.Second}
		get := func() error { _, _, err := b.Get(context.Background(), "k"); return err }

		hang.Store(true)
		if err := get(); err == nil {
			t.Fatal("a hung call is an error")
		}
		hang.Store(false)
		if err := get(); err != nil {
			t.Fatalf("one slow answer is no hang: the next call asks the store: %v", err)
		}
		hang.Store(true)
		_, _ = get(), get() // two timeouts in a row
		asked := calls.Load()
		start := time.Now()
		if err := get(); err == nil || !strings.Contains(err.Error(), "not asked again for 30s") || time.Since(start) != 0 {
			t.Fatalf("a store that hung fails at once during the cooldown: %v after %v", err, time.Since(start))
		}
		if calls.Load() != asked {
			t.Fatalf("the store was asked during the cooldown (%d calls, want %d)", calls.Load(), asked)
		}
		hang.Store(false)
		time.Sleep(30 * time.Second) // fake time: the cooldown passes
		if err := get(); err != nil {
			t.Fatalf("after the cooldown the store is asked again: %v", err)
		}
		if u := b.Uncooled(); u.Cooldown != 0 || u.Store == nil {
			t.Fatalf("Uncooled asks even while cooling: %+v", u)
		}
	})
}
