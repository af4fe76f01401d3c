// Compares the C# declarations with capi/include/modio_market.h as the C compiler sees it: the facts
// file is printed by a C program generated from the header (header-facts.awk) and compiled by
// run.sh. A struct whose size or any field offset differs, an enum value that drifted, an import
// whose name, arity, return or parameter types do not match, and a game-side function, struct or
// constant of the header that the package does not mirror all fail.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using ModioMarket.Interop;

namespace ModioMarket.Tests
{
    internal sealed class HeaderFacts
    {
        public readonly Dictionary<string, long> StructSizes = new Dictionary<string, long>();
        public readonly Dictionary<string, List<KeyValuePair<string, long>>> Fields = new Dictionary<string, List<KeyValuePair<string, long>>>();
        public readonly Dictionary<string, long> FieldSizes = new Dictionary<string, long>();
        public readonly Dictionary<string, long> Constants = new Dictionary<string, long>();
        public readonly Dictionary<string, int> FunctionArity = new Dictionary<string, int>();
        public readonly Dictionary<string, string> FunctionReturn = new Dictionary<string, string>();
        public readonly Dictionary<string, List<string>> ParamTypes = new Dictionary<string, List<string>>();
        public readonly Dictionary<string, List<string>> CallbackParamTypes = new Dictionary<string, List<string>>();

        public static HeaderFacts Load(string path)
        {
            var facts = new HeaderFacts();
            foreach (string line in File.ReadAllLines(path))
            {
                string[] p = line.Split(new[] { ' ' }, p0(line) == "field" ? 5 : 4);
                switch (p[0])
                {
                    case "struct":
                        facts.StructSizes[p[1]] = long.Parse(p[2]);
                        facts.Fields[p[1]] = new List<KeyValuePair<string, long>>();
                        break;
                    case "field":
                        facts.Fields[p[1]].Add(new KeyValuePair<string, long>(p[2], long.Parse(p[3])));
                        facts.FieldSizes[p[1] + "." + p[2]] = long.Parse(p[4]);
                        break;
                    case "const":
                        facts.Constants[p[1]] = long.Parse(p[2]);
                        break;
                    case "func":
                        facts.FunctionArity[p[1]] = int.Parse(p[2]);
                        facts.FunctionReturn[p[1]] = p[3];
                        facts.ParamTypes[p[1]] = new List<string>();
                        break;
                    case "param":
                        facts.ParamTypes[p[1]].Add(p[3]);
                        break;
                    case "callback":
                        facts.CallbackParamTypes[p[1]] = new List<string>();
                        break;
                    case "cbparam":
                        facts.CallbackParamTypes[p[1]].Add(p[3]);
                        break;
                    default:
                        throw new AssertionFailed("unexpected line in the facts file: " + line);
                }
            }
            Check.True(facts.StructSizes.Count > 0 && facts.FunctionArity.Count > 0, "the facts file lists structs and functions");
            return facts;
        }

        private static string p0(string line)
        {
            int space = line.IndexOf(' ');
            return space < 0 ? line : line.Substring(0, space);
        }

        /// <summary>Server-side API (the S2S purchase-server client): deliberately not in a game package.</summary>
        public static bool ServerOnly(string name)
        {
            return name.StartsWith("modio_market_s2s_", StringComparison.Ordinal)
                || name.StartsWith("MODIO_MARKET_S2S_", StringComparison.Ordinal)
                // A configuration setter only the S2S client reads (the history's team).
                || name == "modio_market_config_set_monetization_team_id";
        }
    }

    internal static class HeaderChecks
    {
        private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance;

        public static void Register(HeaderFacts facts)
        {
            Suite.Run("header: every struct mirror has the C sizeof and offsetof of every field", () => StructLayouts(facts));
            Suite.Run("header: every enum and #define matches its C# mirror", () => Constants(facts));
            Suite.Run("header: every game-side function is imported with its exact C signature", () => Functions(facts));
            Suite.Run("header: every callback typedef has the shape of its delegate", () => Callbacks(facts));
        }

        private static void StructLayouts(HeaderFacts facts)
        {
            var problems = new List<string>();
            var mirrored = new HashSet<string>();
            foreach (KeyValuePair<string, long> s in facts.StructSizes)
            {
                if (HeaderFacts.ServerOnly(s.Key))
                    continue;
                Type t = typeof(Native).GetNestedType(s.Key, BindingFlags.NonPublic | BindingFlags.Public);
                if (t == null)
                {
                    problems.Add(s.Key + ": no mirror in Native");
                    continue;
                }
                mirrored.Add(s.Key);
                var layout = t.StructLayoutAttribute;
                if (layout == null || layout.Value != LayoutKind.Sequential)
                    problems.Add(s.Key + ": not [StructLayout(LayoutKind.Sequential)]");
                int size = Marshal.SizeOf(t);
                if (size != s.Value)
                    problems.Add(s.Key + ": Marshal.SizeOf " + size + ", C sizeof " + s.Value);
                string[] csFields = t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Select(f => f.Name).ToArray();
                string[] cFields = facts.Fields[s.Key].Select(f => f.Key).ToArray();
                if (!csFields.SequenceEqual(cFields))
                    problems.Add(s.Key + ": fields [" + string.Join(", ", csFields) + "], C has [" + string.Join(", ", cFields) + "]");
                foreach (KeyValuePair<string, long> f in facts.Fields[s.Key])
                {
                    FieldInfo field = t.GetField(f.Key, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
                    if (field == null)
                        continue;
                    long offset = Marshal.OffsetOf(t, f.Key).ToInt64();
                    if (offset != f.Value)
                        problems.Add(s.Key + "." + f.Key + ": Marshal.OffsetOf " + offset + ", C offsetof " + f.Value);
                    // Padding can hide a wrong width (a C bool mirrored as int): compare sizes too.
                    long fieldSize = field.FieldType.IsEnum ? Marshal.SizeOf(Enum.GetUnderlyingType(field.FieldType)) : Marshal.SizeOf(field.FieldType);
                    long cSize = facts.FieldSizes[s.Key + "." + f.Key];
                    if (fieldSize != cSize)
                        problems.Add(s.Key + "." + f.Key + ": " + field.FieldType.Name + " is " + fieldSize + " bytes, C field is " + cSize);
                }
            }
            foreach (Type nested in typeof(Native).GetNestedTypes(BindingFlags.NonPublic | BindingFlags.Public))
                if (nested.IsValueType && !nested.IsEnum && !mirrored.Contains(nested.Name))
                    problems.Add(nested.Name + ": mirror of a struct the header does not have");
            Console.WriteLine("    " + mirrored.Count + " struct mirrors checked");
            Fail(problems);
        }

        private static readonly KeyValuePair<string, Type>[] EnumPrefixes =
        {
            new KeyValuePair<string, Type>("MODIO_MARKET_RESULT_", typeof(ResultCode)),
            new KeyValuePair<string, Type>("MODIO_MARKET_LOG_LEVEL_", typeof(LogLevel)),
            new KeyValuePair<string, Type>("MODIO_MARKET_ENVIRONMENT_", typeof(ModioEnvironment)),
            new KeyValuePair<string, Type>("MODIO_MARKET_REVENUE_TYPE_", typeof(RevenueType)),
            new KeyValuePair<string, Type>("MODIO_MARKET_MOD_SORT_FIELD_", typeof(ModSortField)),
            new KeyValuePair<string, Type>("MODIO_MARKET_ENTITLEMENT_STATE_", typeof(EntitlementState)),
            new KeyValuePair<string, Type>("MODIO_MARKET_ENTITLEMENT_KIND_", typeof(EntitlementKind)),
            new KeyValuePair<string, Type>("MODIO_MARKET_TRANSACTION_STATE_", typeof(TransactionState)),
            new KeyValuePair<string, Type>("MODIO_MARKET_RECOVERY_OUTCOME_", typeof(RecoveryOutcome)),
            new KeyValuePair<string, Type>("MODIO_MARKET_MONETIZATION_STATUS_", typeof(MonetizationStatus)),
            new KeyValuePair<string, Type>("MODIO_MARKET_API_ACCESS_", typeof(ApiAccessOptions)),
        };

        /// <summary>INVALID_UTF8 → InvalidUtf8.</summary>
        public static string Pascal(string snake)
        {
            return string.Concat(snake.Split('_').Where(w => w.Length > 0).Select(w => char.ToUpperInvariant(w[0]) + w.Substring(1).ToLowerInvariant()));
        }

        private static void Constants(HeaderFacts facts)
        {
            var problems = new List<string>();
            var seen = new HashSet<string>();
            foreach (KeyValuePair<string, long> c in facts.Constants)
            {
                if (HeaderFacts.ServerOnly(c.Key))
                    continue;
                KeyValuePair<string, Type> group = EnumPrefixes.FirstOrDefault(g => c.Key.StartsWith(g.Key, StringComparison.Ordinal));
                if (group.Value != null)
                {
                    string member = Pascal(c.Key.Substring(group.Key.Length));
                    seen.Add(group.Value.Name + "." + member);
                    FieldInfo f = group.Value.GetField(member);
                    if (f == null)
                        problems.Add(c.Key + ": no " + group.Value.Name + "." + member);
                    else if (Convert.ToInt64(f.GetRawConstantValue()) != c.Value)
                        problems.Add(c.Key + " = " + c.Value + ", " + group.Value.Name + "." + member + " = " + f.GetRawConstantValue());
                    continue;
                }
                if (c.Key.StartsWith("MODIO_MARKET_ERROR_REF_", StringComparison.Ordinal))
                {
                    string member = Pascal(c.Key.Substring("MODIO_MARKET_ERROR_REF_".Length));
                    seen.Add("ErrorRef." + member);
                    FieldInfo f = typeof(ErrorRef).GetField(member);
                    if (f == null)
                        problems.Add(c.Key + ": no ErrorRef." + member);
                    else if ((long)f.GetRawConstantValue() != c.Value)
                        problems.Add(c.Key + " = " + c.Value + ", ErrorRef." + member + " = " + f.GetRawConstantValue());
                    else if (Utf8.Decode(Native.modio_market_error_ref_name(c.Value)) != c.Key.Substring("MODIO_MARKET_ERROR_REF_".Length))
                        problems.Add(c.Key + ": modio_market_error_ref_name disagrees");
                    continue;
                }
                FieldInfo constant = typeof(Native).GetField(c.Key, All);
                if (constant == null)
                    problems.Add(c.Key + ": not mirrored (add it to an enum or as a Native constant)");
                else if (Convert.ToInt64(constant.GetRawConstantValue()) != c.Value)
                    problems.Add(c.Key + " = " + c.Value + ", Native." + c.Key + " = " + constant.GetRawConstantValue());
            }
            // Nothing stale on the C# side either (None is the C# "no flags"/"off" value).
            foreach (KeyValuePair<string, Type> group in EnumPrefixes)
                foreach (string name in Enum.GetNames(group.Value))
                    if (name != "None" && !seen.Contains(group.Value.Name + "." + name))
                        problems.Add(group.Value.Name + "." + name + ": not in the header");
            foreach (FieldInfo f in typeof(ErrorRef).GetFields())
                if (!seen.Contains("ErrorRef." + f.Name))
                    problems.Add("ErrorRef." + f.Name + ": not in the header");
            // The library's own names for the result codes agree.
            foreach (ResultCode code in Enum.GetValues(typeof(ResultCode)))
            {
                string expected = "MODIO_MARKET_RESULT_" + string.Concat(code.ToString().Select((ch, i) => i > 0 && char.IsUpper(ch) ? "_" + ch : char.ToUpperInvariant(ch).ToString()));
                string actual = Utf8.Decode(Native.modio_market_result_name((uint)code));
                if (actual != expected)
                    problems.Add("modio_market_result_name(" + (uint)code + ") = " + actual + ", expected " + expected);
            }
            Console.WriteLine("    " + facts.Constants.Count + " constants checked");
            Fail(problems);
        }

        private static void Functions(HeaderFacts facts)
        {
            var problems = new List<string>();
            var imported = new Dictionary<string, MethodInfo>();
            foreach (MethodInfo m in typeof(Native).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            {
                var import = (DllImportAttribute)Attribute.GetCustomAttribute(m, typeof(DllImportAttribute));
                if (import == null)
                    continue;
                string entry = import.EntryPoint ?? m.Name;
                imported[entry] = m;
                if (import.Value != Native.Lib)
                    problems.Add(entry + ": imported from " + import.Value);
                if (import.CallingConvention != CallingConvention.Cdecl)
                    problems.Add(entry + ": not CallingConvention.Cdecl");
                if (!facts.FunctionArity.ContainsKey(entry))
                {
                    problems.Add(entry + ": imported but not in the header");
                    continue;
                }
                ParameterInfo[] ps = m.GetParameters();
                if (ps.Length != facts.FunctionArity[entry])
                {
                    problems.Add(entry + ": " + ps.Length + " parameters, C has " + facts.FunctionArity[entry]);
                    continue;
                }
                string ret = facts.FunctionReturn[entry];
                Type expectedReturn = ret == "result" ? typeof(ResultCode) : ret == "void" ? typeof(void) : ret == "pointer" ? typeof(IntPtr)
                    : ret == "bool" ? typeof(bool) : null;
                if (m.ReturnType != expectedReturn)
                    problems.Add(entry + ": returns " + m.ReturnType.Name + ", C returns " + ret);
                if (ret == "bool")
                {
                    var returnAs = m.ReturnParameter.GetCustomAttributes(typeof(MarshalAsAttribute), false);
                    if (returnAs.Length != 1 || ((MarshalAsAttribute)returnAs[0]).Value != UnmanagedType.U1)
                        problems.Add(entry + ": C bool is one byte: the return needs [return: MarshalAs(UnmanagedType.U1)]");
                }
                for (int i = 0; i < ps.Length; i++)
                {
                    string why = ParameterMismatch(entry, facts.ParamTypes[entry][i], ps[i]);
                    if (why != null)
                        problems.Add(entry + " parameter " + i + " (" + ps[i].Name + "): " + why);
                }
            }
            var serverOnly = new List<string>();
            foreach (string name in facts.FunctionArity.Keys)
            {
                if (imported.ContainsKey(name))
                    continue;
                if (HeaderFacts.ServerOnly(name))
                    serverOnly.Add(name);
                else
                    problems.Add(name + ": in the header but not imported");
            }
            Console.WriteLine("    " + imported.Count + " imports checked; server-only, not in a game package: " + serverOnly.Count);
            Fail(problems);
        }

        private static void Callbacks(HeaderFacts facts)
        {
            var problems = new List<string>();
            int checkedCount = 0;
            foreach (KeyValuePair<string, List<string>> cb in facts.CallbackParamTypes)
            {
                if (HeaderFacts.ServerOnly(cb.Key))
                    continue;
                Type d = cb.Key == "modio_market_log_cb" ? typeof(Native.LogCallback)
                    : cb.Key == "modio_market_recovery_cb" ? typeof(Native.RecoveryCallback)
                    : cb.Key == "modio_market_progress_cb" ? typeof(Native.ProgressCallback)
                    : typeof(Native.RequestCallback);
                checkedCount++;
                var ufp = (UnmanagedFunctionPointerAttribute)Attribute.GetCustomAttribute(d, typeof(UnmanagedFunctionPointerAttribute));
                if (ufp == null || ufp.CallingConvention != CallingConvention.Cdecl)
                    problems.Add(d.Name + ": not [UnmanagedFunctionPointer(CallingConvention.Cdecl)]");
                MethodInfo invoke = d.GetMethod("Invoke");
                ParameterInfo[] ps = invoke.GetParameters();
                if (invoke.ReturnType != typeof(void))
                    problems.Add(cb.Key + ": " + d.Name + " must return void");
                if (ps.Length != cb.Value.Count)
                {
                    problems.Add(cb.Key + ": " + d.Name + " has " + ps.Length + " parameters, C has " + cb.Value.Count);
                    continue;
                }
                for (int i = 0; i < ps.Length; i++)
                {
                    string c = cb.Value[i];
                    Type want = c.EndsWith("*", StringComparison.Ordinal) ? typeof(IntPtr)
                        : c == "uint64_t" ? typeof(ulong)
                        : c == "uint32_t" || c == "modio_market_log_level" ? typeof(uint)
                        : null;
                    if (want == null)
                        problems.Add(cb.Key + " parameter " + i + ": no rule for C type \"" + c + "\"");
                    else if (ps[i].ParameterType != want)
                        problems.Add(cb.Key + " parameter " + i + ": C " + c + " needs " + want.Name + ", " + d.Name + " has " + ps[i].ParameterType.Name);
                }
                if (d == typeof(Native.RequestCallback) && (cb.Value[0] != "void *" || cb.Value[2] != "const struct modio_market_error *"))
                    problems.Add(cb.Key + ": not the request callback shape (user_data, request_id, error, result)");
            }
            Console.WriteLine("    " + checkedCount + " callback typedefs checked");
            Fail(problems);
        }

        /// <summary>null when the C# parameter is the right marshalling of the C type.</summary>
        private static string ParameterMismatch(string function, string c, ParameterInfo p)
        {
            Type t = p.ParameterType;
            bool byRef = t.IsByRef;
            Type element = byRef ? t.GetElementType() : t;
            MarshalAsAttribute marshalAs = (MarshalAsAttribute)Attribute.GetCustomAttribute(p, typeof(MarshalAsAttribute));
            Func<Type, bool, string> expect = (want, wantRef) =>
                element == want && byRef == wantRef ? null : "C " + c + " needs " + (wantRef ? "out " : "") + want.Name + ", found " + (byRef ? "out " : "") + element.Name;
            switch (c)
            {
                // The _free functions take the raw pointer: SafeHandle.ReleaseHandle calls them.
                case "struct modio_market_client *":
                case "const struct modio_market_client *":
                    return expect(function.EndsWith("_free", StringComparison.Ordinal) ? typeof(IntPtr) : typeof(ClientHandle), false);
                case "struct modio_market_config *":
                case "const struct modio_market_config *":
                    return expect(function.EndsWith("_free", StringComparison.Ordinal) ? typeof(IntPtr) : typeof(ConfigHandle), false);
                case "struct modio_market_client **":
                case "struct modio_market_config **":
                case "struct modio_market_installed_list **":
                    return expect(typeof(IntPtr), true);
                // The list is read and freed at once by the wrapper: a raw pointer, no SafeHandle.
                case "struct modio_market_installed_list *":
                    return expect(typeof(IntPtr), false);
                case "const char *":
                case "char *":
                    return expect(typeof(byte[]), false);
                case "void *":
                    return expect(typeof(IntPtr), false);
                case "const struct modio_market_mod_query *":
                    return expect(typeof(Native.modio_market_mod_query), true);
                case "bool":
                case "bool *":
                    {
                        string why = expect(typeof(bool), c == "bool *");
                        if (why != null)
                            return why;
                        return marshalAs != null && marshalAs.Value == UnmanagedType.U1 ? null : "C bool is one byte: needs [MarshalAs(UnmanagedType.U1)]";
                    }
                case "uint32_t": return element == typeof(uint) || (element.IsEnum && Enum.GetUnderlyingType(element) == typeof(uint)) ? (byRef ? "must not be by-ref" : null) : "C uint32_t needs UInt32, found " + element.Name;
                case "int64_t": return expect(typeof(long), false);
                case "uint64_t": return expect(typeof(ulong), false);
                case "size_t": return expect(typeof(UIntPtr), false);
                case "int64_t *": return expect(typeof(long), true);
                case "uint64_t *": return expect(typeof(ulong), true);
                case "size_t *": return expect(typeof(UIntPtr), true);
                case "modio_market_log_cb": return expect(typeof(Native.LogCallback), false);
                case "modio_market_recovery_cb": return expect(typeof(Native.RecoveryCallback), false);
                case "modio_market_progress_cb": return expect(typeof(Native.ProgressCallback), false);
            }
            if (c.StartsWith("modio_market_", StringComparison.Ordinal) && c.EndsWith("_cb", StringComparison.Ordinal))
                return expect(typeof(Native.RequestCallback), false); // every request callback has one shape
            return "no marshalling rule for C type \"" + c + "\" (add one to HeaderChecks)";
        }

        private static void Fail(List<string> problems)
        {
            if (problems.Count > 0)
                throw new AssertionFailed(problems.Count + " mismatches:\n      " + string.Join("\n      ", problems));
        }
    }
}
