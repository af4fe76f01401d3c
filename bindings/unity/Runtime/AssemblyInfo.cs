using System.Runtime.CompilerServices;

// The Mono test suite (bindings/unity/tests) checks the internal struct mirrors and the GCHandle
// accounting; a Unity test assembly may use the same name.
[assembly: InternalsVisibleTo("ModioMarket.Tests")]
