// A stand-in for the UnityEditor members the package uses (see UnityEngine.cs). Test-only.
using System;

namespace UnityEditor
{
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class InitializeOnLoadMethodAttribute : Attribute
    {
    }

    public static class AssemblyReloadEvents
    {
        public delegate void AssemblyReloadCallback();

        public static event AssemblyReloadCallback beforeAssemblyReload;

        public static int StubBeforeReloadHandlers
        {
            get { return beforeAssemblyReload == null ? 0 : beforeAssemblyReload.GetInvocationList().Length; }
        }

        /// <summary>What the Editor does right before it unloads the scripting domain.</summary>
        public static void StubRaiseBeforeAssemblyReload()
        {
            AssemblyReloadCallback handlers = beforeAssemblyReload;
            if (handlers != null)
                handlers();
        }
    }
}
