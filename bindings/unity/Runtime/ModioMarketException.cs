using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using ModioMarket.Interop;

namespace ModioMarket
{
    /// <summary>
    /// A failed mod.io Marketplace call, with everything the native library reported: the
    /// <see cref="Code"/>, and for mod.io's HTTP errors the status, the <c>error_ref</c> (see
    /// <see cref="ModioMarket.ErrorRef"/>), its name, the server's message and the field errors
    /// of a 422 answer. Messages never contain tokens, tickets, receipts or the API key.
    /// </summary>
    public class ModioMarketException : Exception
    {
        private static readonly IReadOnlyDictionary<string, string> NoFieldErrors = new Dictionary<string, string>();

        public ModioMarketException(ResultCode code, string message)
            : this(code, message, 0, 0, null, null, null)
        {
        }

        public ModioMarketException(ResultCode code, string message, int httpStatus, long errorRef, string errorRefName,
            long? retryAfterSeconds, IReadOnlyDictionary<string, string> fieldErrors)
            : base(string.IsNullOrEmpty(message) ? DescribeCode(code) : message)
        {
            Code = code;
            HttpStatus = httpStatus;
            ErrorRef = errorRef;
            ErrorRefName = errorRefName;
            RetryAfterSeconds = retryAfterSeconds;
            FieldErrors = fieldErrors ?? NoFieldErrors;
        }

        /// <summary>The kind of failure (<see cref="ResultCode.Http"/> for mod.io error answers).</summary>
        public ResultCode Code { get; private set; }

        /// <summary>The HTTP status for <see cref="ResultCode.Http"/>/<see cref="ResultCode.RateLimited"/>, else 0.</summary>
        public int HttpStatus { get; private set; }

        /// <summary>mod.io's <c>error_ref</c> (e.g. 900049 insufficient funds), 0 when none.</summary>
        public long ErrorRef { get; private set; }

        /// <summary>The ref's name ("MONETIZATION_INSUFFICIENT_FUNDS") when the library knows it, else null.</summary>
        public string ErrorRefName { get; private set; }

        /// <summary>For <see cref="ResultCode.RateLimited"/>: seconds mod.io asked to wait.</summary>
        public long? RetryAfterSeconds { get; private set; }

        /// <summary>The field → message map of a 422 validation answer (empty otherwise).</summary>
        public IReadOnlyDictionary<string, string> FieldErrors { get; private set; }

        /// <summary>The native constant's name of <see cref="Code"/>, e.g. "MODIO_MARKET_RESULT_HTTP".</summary>
        public string CodeName
        {
            get { return Utf8.Decode(Native.modio_market_result_name((uint)Code)); }
        }

        public override string ToString()
        {
            var text = new StringBuilder();
            text.Append(GetType().FullName).Append(" (").Append(Code);
            if (HttpStatus != 0)
                text.Append(", HTTP ").Append(HttpStatus);
            if (ErrorRef != 0)
            {
                text.Append(", error_ref ").Append(ErrorRef);
                if (ErrorRefName != null)
                    text.Append(' ').Append(ErrorRefName);
            }
            text.Append("): ").Append(Message);
            foreach (KeyValuePair<string, string> field in FieldErrors)
                text.Append("\n  ").Append(field.Key).Append(": ").Append(field.Value);
            if (StackTrace != null)
                text.Append('\n').Append(StackTrace);
            return text.ToString();
        }

        /// <summary>A short English description of a result code (modio_market_result_message).</summary>
        public static string DescribeCode(ResultCode code)
        {
            try
            {
                return Utf8.Decode(Native.modio_market_result_message((uint)code));
            }
            catch (Exception)
            {
                return code.ToString();
            }
        }

        /// <summary>Copies a borrowed <c>modio_market_error</c> (inside its callback).</summary>
        internal static ModioMarketException FromNative(IntPtr errorPointer)
        {
            var e = Marshal.PtrToStructure<Native.modio_market_error>(errorPointer);
            Dictionary<string, string> fields = null;
            ulong count = e.field_error_count.ToUInt64();
            if (count > 0 && e.field_errors != IntPtr.Zero)
            {
                fields = new Dictionary<string, string>();
                for (ulong i = 0; i < count; i++)
                {
                    IntPtr element = Structs.Element(e.field_errors, i);
                    if (element == IntPtr.Zero)
                        continue;
                    var f = Marshal.PtrToStructure<Native.modio_market_field_error>(element);
                    string name = Utf8.Decode(f.field) ?? string.Empty;
                    fields[name] = Utf8.Decode(f.message) ?? string.Empty;
                }
            }
            return new ModioMarketException(
                (ResultCode)e.code,
                Utf8.Decode(e.message),
                (int)e.http_status,
                e.error_ref,
                Utf8.Decode(e.error_ref_name),
                e.retry_after_secs >= 0 ? (long?)e.retry_after_secs : null,
                fields);
        }

        /// <summary>A synchronous failure of a native call: the code plus this thread's last error text.</summary>
        internal static ModioMarketException FromLastError(ResultCode code)
        {
            string message = null;
            try
            {
                message = Native.LastErrorMessage();
            }
            catch (Exception)
            {
            }
            return new ModioMarketException(code, message);
        }
    }
}
