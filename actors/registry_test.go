package actors

import (
	"errors"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	cmap "github.com/orcaman/concurrent-map"
)

// The tests in this file pin the protoactor-go internals that shrinkRegistry
// relies on: the exported fields of its process registry (LocalPIDs, a
// *actor.SliceMap whose only state is a slice of concurrent maps), that a
// PID's bucket is chosen from len(LocalPIDs) at every lookup, and that every
// registration, lookup and removal goes through ProcessRegistry.LocalPIDs at
// the time of the call. If one of them fails after a protoactor-go upgrade,
// shrinkRegistry (actors/system.go) must be rewritten or removed: ipfi's
// actor systems would otherwise lose processes or misroute messages.

// registryFail is the prefix of every failure here: it says where to look.
const registryFail = "shrinkRegistry (actors/system.go) no longer fits protoactor-go's process registry " +
	"(after a protoactor-go upgrade: rewrite or remove shrinkRegistry): "

func newRegistryTestSystem(t *testing.T) *actor.ActorSystem {
	t.Helper()
	as := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	t.Cleanup(as.Shutdown)
	return as
}

// registryContents returns every process in m, by id.
func registryContents(m *actor.SliceMap) map[string]any {
	out := make(map[string]any)
	for _, bucket := range m.LocalPIDs {
		bucket.IterCb(func(k string, v any) { out[k] = v })
	}
	return out
}

// TestRegistryInternals checks the shape of the types shrinkRegistry builds
// by hand: a struct literal of actor.SliceMap is only a valid registry if
// LocalPIDs is all it holds.
func TestRegistryInternals(t *testing.T) {
	field, ok := reflect.TypeOf(actor.ProcessRegistryValue{}).FieldByName("LocalPIDs")
	if !ok || field.Type != reflect.TypeOf((*actor.SliceMap)(nil)) {
		t.Fatalf(registryFail+"ProcessRegistryValue.LocalPIDs is %v, want *actor.SliceMap", field.Type)
	}
	sm := reflect.TypeOf(actor.SliceMap{})
	if sm.NumField() != 1 {
		var names []string
		for i := range sm.NumField() {
			names = append(names, sm.Field(i).Name)
		}
		t.Fatalf(registryFail+"actor.SliceMap has fields %v, want LocalPIDs alone "+
			"(shrinkRegistry's literal would leave the others zero)", names)
	}
	if f := sm.Field(0); f.Name != "LocalPIDs" || f.Type != reflect.TypeOf([]cmap.ConcurrentMap(nil)) {
		t.Fatalf(registryFail+"actor.SliceMap's field is %s %v, want LocalPIDs []cmap.ConcurrentMap", f.Name, f.Type)
	}
}

// TestRegistryShrink runs shrinkRegistry on a fresh actor system and uses the
// system afterwards: what it registered at creation is still there, new
// actors and futures register in, are found in and are removed from the
// small registry only.
func TestRegistryShrink(t *testing.T) {
	as := newRegistryTestSystem(t)
	old := as.ProcessRegistry.LocalPIDs
	before := checkRegistryBeforeShrink(t, old)

	shrinkRegistry(as)

	small := checkRegistryShrunk(t, as, old, before)
	checkRegistrySpawnAfterShrink(t, as, old, small, before)
}

// checkRegistryBeforeShrink checks that old, the registry of a new actor
// system, is one shrinkRegistry shrinks and holds the processes it must
// keep, and returns its contents.
func checkRegistryBeforeShrink(t *testing.T, old *actor.SliceMap) map[string]any {
	t.Helper()
	if old == nil {
		t.Fatal(registryFail + "a new actor system has no LocalPIDs")
	}
	if len(old.LocalPIDs) <= registryBuckets {
		t.Errorf(registryFail+"a new actor system has %d buckets, not more than registryBuckets (%d): "+
			"shrinkRegistry would not shrink it (and registryBuckets' comment is stale)", len(old.LocalPIDs), registryBuckets)
	}
	before := registryContents(old)
	// What NewActorSystem registers itself (shrinkRegistry's comment names
	// them): they must survive the move.
	for _, id := range []string{"eventstream", "deadletter"} {
		if _, ok := before[id]; !ok {
			t.Errorf(registryFail+"a new actor system did not register %q (registered: %v)", id, registryIDs(before))
		}
	}
	return before
}

// checkRegistryShrunk checks the registry of as after shrinkRegistry: a new
// map of registryBuckets initialized buckets in place of old, holding the
// processes before held, each found by id and the dead letter process by its
// PID. It returns the new map.
func checkRegistryShrunk(t *testing.T, as *actor.ActorSystem, old *actor.SliceMap, before map[string]any) *actor.SliceMap {
	t.Helper()
	reg := as.ProcessRegistry
	small := reg.LocalPIDs
	if small == old {
		t.Fatal(registryFail + "LocalPIDs is still the original map after shrinkRegistry")
	}
	if len(small.LocalPIDs) != registryBuckets {
		t.Fatalf(registryFail+"%d buckets after shrinkRegistry, want registryBuckets (%d)", len(small.LocalPIDs), registryBuckets)
	}
	for i, b := range small.LocalPIDs {
		if len(b) == 0 {
			t.Fatalf(registryFail+"bucket %d is not initialized", i)
		}
	}
	after := registryContents(small)
	if len(after) != len(before) {
		t.Errorf(registryFail+"%d processes after shrinkRegistry, %d before: before %v, after %v",
			len(after), len(before), registryIDs(before), registryIDs(after))
	}
	for id, p := range before {
		got, ok := reg.GetLocal(id)
		if !ok || got != p {
			t.Errorf(registryFail+"process %q registered before shrinkRegistry is not found after it (GetLocal = %v, %v)", id, got, ok)
		}
		if b := small.GetBucket(id); !b.Has(id) {
			t.Errorf(registryFail+"process %q is not in the bucket GetBucket picks for it", id)
		}
	}
	if p, ok := reg.Get(as.NewLocalPID("deadletter")); !ok || p != as.DeadLetter {
		t.Errorf(registryFail+"the dead letter process is not found by its PID after shrinkRegistry (%v, %v)", p, ok)
	}
	return small
}

// checkRegistrySpawnAfterShrink checks that an actor spawned in as after
// shrinkRegistry registers in the small map, not in old, is found there,
// answers a request (a future registers, routes the answer and
// unregisters), and is removed when it stops; before is what the registry
// held before the spawn.
func checkRegistrySpawnAfterShrink(t *testing.T, as *actor.ActorSystem, old, small *actor.SliceMap, before map[string]any) {
	t.Helper()
	props := actor.PropsFromFunc(func(c actor.Context) {
		if s, ok := c.Message().(string); ok {
			c.Respond(s + "!")
		}
	})
	pid, err := as.Root.SpawnNamed(props, "registry-test")
	if err != nil {
		t.Fatalf(registryFail+"SpawnNamed after shrinkRegistry: %v", err)
	}
	checkRegistrySpawnedFound(t, as, old, small, pid)
	if _, err := as.Root.SpawnNamed(props, "registry-test"); !errors.Is(err, actor.ErrNameExists) {
		t.Errorf(registryFail+"a second SpawnNamed of the same name returned %v, want actor.ErrNameExists", err)
	}
	res, err := as.Root.RequestFuture(pid, "hi", 5*time.Second).Result()
	if err != nil || res != "hi!" {
		t.Fatalf(registryFail+"request to an actor spawned after shrinkRegistry: %v, %v", res, err)
	}
	if n := len(registryContents(small)); n != len(before)+1 {
		t.Errorf(registryFail+"%d processes registered after one spawn and a finished request, want %d: %v",
			n, len(before)+1, registryIDs(registryContents(small)))
	}
	if n := len(registryContents(old)); n != len(before) {
		t.Errorf(registryFail+"the original map changed after shrinkRegistry: %d processes, %d before", n, len(before))
	}

	if err := as.Root.StopFuture(pid).Wait(); err != nil {
		t.Fatalf("stopping the test actor: %v", err)
	}
	if p, ok := as.ProcessRegistry.Get(pid); ok || p != as.DeadLetter {
		t.Errorf(registryFail+"a stopped actor is still registered (Get = %v, %v)", p, ok)
	}
	if small.GetBucket(pid.Id).Has(pid.Id) {
		t.Errorf(registryFail + "a stopped actor is still in the small map")
	}
	if n := len(registryContents(small)); n != len(before) {
		t.Errorf(registryFail+"%d processes registered after the actor stopped, want %d: %v", n, len(before), registryIDs(registryContents(small)))
	}
}

// checkRegistrySpawnedFound checks that pid, spawned in as after
// shrinkRegistry, is found by Get and GetLocal and lies in the small map,
// not in old.
func checkRegistrySpawnedFound(t *testing.T, as *actor.ActorSystem, old, small *actor.SliceMap, pid *actor.PID) {
	t.Helper()
	reg := as.ProcessRegistry
	if p, ok := reg.Get(pid); !ok || p == as.DeadLetter {
		t.Fatalf(registryFail+"a PID spawned after shrinkRegistry is not found by Get (%v, %v)", p, ok)
	}
	if _, ok := reg.GetLocal(pid.Id); !ok {
		t.Fatalf(registryFail + "a PID spawned after shrinkRegistry is not found by GetLocal")
	}
	if !small.GetBucket(pid.Id).Has(pid.Id) {
		t.Fatalf(registryFail + "a PID spawned after shrinkRegistry is not in the small map's bucket for it")
	}
	if old.GetBucket(pid.Id).Has(pid.Id) {
		t.Fatalf(registryFail + "a PID spawned after shrinkRegistry was registered in the original map")
	}
}

// registryIDs returns m's ids, for failure messages.
func registryIDs(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
