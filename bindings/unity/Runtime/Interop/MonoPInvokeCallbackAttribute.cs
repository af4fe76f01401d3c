#if !UNITY_5_3_OR_NEWER
using System;

namespace AOT
{
    /// <summary>
    /// Outside Unity (plain Mono, .NET) UnityEngine's <c>AOT.MonoPInvokeCallbackAttribute</c> is
    /// absent; this stand-in keeps the trampolines' source identical. Mono's full-AOT compiler and
    /// IL2CPP recognise the attribute by name: it marks a static method that native code calls
    /// through a function pointer, so an ahead-of-time wrapper is generated for it.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        public MonoPInvokeCallbackAttribute(Type delegateType)
        {
            DelegateType = delegateType;
        }

        public Type DelegateType { get; private set; }
    }
}
#endif
