// A stand-in for the few UnityEngine types the package uses, so that the Unity-only code
// (#if UNITY_5_3_OR_NEWER) is compiled and driven under plain Mono: objects, components,
// Update/OnDestroy called by a tiny "engine", Debug, Application.quitting and the AOT attribute.
// Only for bindings/unity/tests; never shipped. Members named Stub* are the test's controls.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace UnityEngine
{
    public class Object
    {
        internal bool StubDestroyed;

        public string name { get; set; }

        public HideFlags hideFlags { get; set; }

        public static void DontDestroyOnLoad(Object target)
        {
            StubEngine.DontDestroyOnLoad.Add(target);
        }

        public static void Destroy(Object obj)
        {
            StubEngine.Destroy(obj);
        }

        // Unity's "fake null": a destroyed object compares equal to null.
        public static bool operator ==(Object a, Object b)
        {
            bool aNull = ReferenceEquals(a, null) || a.StubDestroyed;
            bool bNull = ReferenceEquals(b, null) || b.StubDestroyed;
            if (aNull || bNull)
                return aNull && bNull;
            return ReferenceEquals(a, b);
        }

        public static bool operator !=(Object a, Object b)
        {
            return !(a == b);
        }

        public override bool Equals(object other)
        {
            return this == (other as Object);
        }

        public override int GetHashCode()
        {
            return base.GetHashCode();
        }
    }

    public class Component : Object
    {
        public GameObject gameObject { get; internal set; }
    }

    public class Behaviour : Component
    {
    }

    public class MonoBehaviour : Behaviour
    {
    }

    public sealed class GameObject : Object
    {
        internal readonly List<Component> StubComponents = new List<Component>();

        public GameObject(string name)
        {
            this.name = name;
            StubEngine.Objects.Add(this);
        }

        public T AddComponent<T>() where T : Component
        {
            var component = (T)Activator.CreateInstance(typeof(T), true);
            component.gameObject = this;
            component.name = name;
            StubComponents.Add(component);
            StubEngine.Call(component, "Awake");
            return component;
        }
    }

    [Flags]
    public enum HideFlags
    {
        None = 0,
        HideInHierarchy = 1,
        HideInInspector = 2,
        DontSaveInEditor = 4,
        NotEditable = 8,
        DontSaveInBuild = 16,
        DontUnloadUnusedAsset = 32,
        DontSave = 52,
        HideAndDontSave = 61,
    }

    public static class Debug
    {
        public static readonly List<string> StubLines = new List<string>();

        public static void Log(object message) { StubLines.Add("log: " + message); }
        public static void LogWarning(object message) { StubLines.Add("warning: " + message); }
        public static void LogError(object message) { StubLines.Add("error: " + message); }
        public static void LogException(Exception exception) { StubLines.Add("exception: " + exception.GetType().Name + ": " + exception.Message); }
    }

    public static class Application
    {
        public static event Action quitting;

        public static bool isPlaying
        {
            get { return StubIsPlaying; }
        }

        public static bool StubIsPlaying = true;

        public static string persistentDataPath
        {
            get { return System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stub-persistent-data"); }
        }

        public static int StubQuittingHandlers
        {
            get { return quitting == null ? 0 : quitting.GetInvocationList().Length; }
        }

        public static void StubQuit()
        {
            Action handlers = quitting;
            if (handlers != null)
                handlers();
        }
    }

    public enum RuntimeInitializeLoadType
    {
        AfterSceneLoad = 0,
        BeforeSceneLoad = 1,
        AfterAssembliesLoaded = 2,
        BeforeSplashScreen = 3,
        SubsystemRegistration = 4,
    }

    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
    public sealed class RuntimeInitializeOnLoadMethodAttribute : Attribute
    {
        public RuntimeInitializeOnLoadMethodAttribute() { }
        public RuntimeInitializeOnLoadMethodAttribute(RuntimeInitializeLoadType loadType) { LoadType = loadType; }
        public RuntimeInitializeLoadType LoadType { get; private set; }
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class DisallowMultipleComponent : Attribute
    {
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class AddComponentMenu : Attribute
    {
        public AddComponentMenu(string menuName) { }
    }

    /// <summary>The test's engine: frames, destruction, the load-time hooks.</summary>
    public static class StubEngine
    {
        public static readonly List<GameObject> Objects = new List<GameObject>();
        public static readonly List<Object> DontDestroyOnLoad = new List<Object>();

        /// <summary>One frame: Update on every live component, in creation order.</summary>
        public static void Frame()
        {
            foreach (GameObject go in Objects.ToArray())
                if (!go.StubDestroyed)
                    foreach (Component c in go.StubComponents.ToArray())
                        if (!c.StubDestroyed)
                            Call(c, "Update");
        }

        public static void Destroy(Object obj)
        {
            var go = obj as GameObject ?? (obj is Component ? ((Component)obj).gameObject : null);
            if (go == null || go.StubDestroyed)
                return;
            foreach (Component c in go.StubComponents)
            {
                Call(c, "OnDestroy");
                c.StubDestroyed = true;
            }
            go.StubDestroyed = true;
        }

        /// <summary>What the engine does at load: every [RuntimeInitializeOnLoadMethod] and
        /// [UnityEditor.InitializeOnLoadMethod] static method of the assembly runs.</summary>
        public static int RunLoadHooks(Assembly assembly)
        {
            int ran = 0;
            foreach (Type t in assembly.GetTypes())
                foreach (MethodInfo m in t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
                    if (m.GetCustomAttributes(false).Any(a => a.GetType().Name == "RuntimeInitializeOnLoadMethodAttribute" || a.GetType().Name == "InitializeOnLoadMethodAttribute"))
                    {
                        m.Invoke(null, null);
                        ran++;
                    }
            return ran;
        }

        internal static void Call(object target, string method)
        {
            MethodInfo m = target.GetType().GetMethod(method, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            if (m != null)
                m.Invoke(target, null);
        }
    }
}

namespace AOT
{
    [AttributeUsage(AttributeTargets.Method)]
    public class MonoPInvokeCallbackAttribute : Attribute
    {
        public MonoPInvokeCallbackAttribute(Type type) { }
    }
}
