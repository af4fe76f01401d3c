using System;
using System.Runtime.InteropServices;
using System.Text;

namespace ModioMarket.Interop
{
    /// <summary>
    /// Explicit UTF-8 marshalling. The native library takes and returns NUL-terminated UTF-8; the
    /// default P/Invoke string marshalling is ANSI on Windows, so it is never used.
    /// </summary>
    internal static class Utf8
    {
        // Throws on lone surrogates instead of silently writing U+FFFD into a token or key.
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);
        // Decoding what the library hands back never throws: it is valid UTF-8 by contract.
        private static readonly UTF8Encoding Lenient = new UTF8Encoding(false, false);

        /// <summary>
        /// A NUL-terminated UTF-8 copy of <paramref name="value"/>, or null for null (passed as
        /// NULL). A string containing U+0000 is refused: C would silently cut it short there.
        /// </summary>
        internal static byte[] Encode(string value, string parameterName)
        {
            if (value == null)
                return null;
            if (value.IndexOf('\0') >= 0)
                throw new ArgumentException("must not contain a NUL character", parameterName);
            byte[] bytes;
            try
            {
                int count = Strict.GetByteCount(value);
                bytes = new byte[count + 1];
                Strict.GetBytes(value, 0, value.Length, bytes, 0);
            }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException("is not valid Unicode (unpaired surrogate)", parameterName, e);
            }
            bytes[bytes.Length - 1] = 0;
            return bytes;
        }

        /// <summary>Like <see cref="Encode"/>, but null is refused.</summary>
        internal static byte[] EncodeRequired(string value, string parameterName)
        {
            if (value == null)
                throw new ArgumentNullException(parameterName);
            return Encode(value, parameterName);
        }

        /// <summary>Overwrites a buffer that held a secret (a token, ticket or receipt) once the
        /// native call has copied it.</summary>
        internal static void Wipe(byte[] buffer)
        {
            if (buffer != null)
                Array.Clear(buffer, 0, buffer.Length);
        }

        /// <summary>Copies a borrowed NUL-terminated UTF-8 string into a managed string; NULL gives null.</summary>
        internal static string Decode(IntPtr ptr)
        {
            if (ptr == IntPtr.Zero)
                return null;
            int length = 0;
            while (Marshal.ReadByte(ptr, length) != 0)
            {
                length++;
                if (length == int.MaxValue)
                    break;
            }
            if (length == 0)
                return string.Empty;
            var bytes = new byte[length];
            Marshal.Copy(ptr, bytes, 0, length);
            return Lenient.GetString(bytes);
        }

        internal static string DecodeBytes(byte[] bytes, int length)
        {
            return Lenient.GetString(bytes, 0, length);
        }
    }
}
