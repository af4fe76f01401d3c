// The one place that declares the native library: every [DllImport], every callback delegate
// type and every C struct mirror of capi/include/modio_market.h. Nothing else in the package calls
// native code directly.
//
// Marshalling rules used throughout (so every signature is blittable and IL2CPP/AOT friendly):
// - strings going in are NUL-terminated UTF-8 byte[] built by Utf8.Encode (null = NULL); strings
//   coming out are IntPtr decoded by Utf8.Decode: the platform's default string marshalling is
//   never used (it is ANSI on Windows);
// - C bool is one byte: parameters carry [MarshalAs(UnmanagedType.U1)], struct fields are byte;
// - size_t is UIntPtr, uint64_t ulong, int64_t long; enums travel as their uint32_t number;
// - the client handle is a SafeHandle (the marshaller keeps it alive for the call, so a Dispose
//   on another thread cannot free it mid-call); the free functions take the raw IntPtr.
//
// tests/run.sh compiles a C program that prints sizeof/offsetof of every struct, every constant
// and every function of the header, and the Mono tests compare them with these declarations.
using System;
using System.Runtime.InteropServices;

namespace ModioMarket.Interop
{
    internal static class Native
    {
#if MODIO_MARKET_STATIC || ((UNITY_IOS || UNITY_TVOS || UNITY_SWITCH || UNITY_PS4 || UNITY_PS5) && !UNITY_EDITOR)
        // Linked statically into the player (iOS, tvOS, consoles, or any build defining
        // MODIO_MARKET_STATIC): the symbols are in the executable itself.
        internal const string Lib = "__Internal";
#else
        // modio_market.dll (Windows), modio_market.bundle / libmodio_market.dylib (macOS),
        // libmodio_market.so (Linux, Android).
        internal const string Lib = "modio_market";
#endif

        // -----------------------------------------------------------------------------------
        // Constants (#define in the header)
        // -----------------------------------------------------------------------------------
        internal const ulong MODIO_MARKET_DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
        internal const int MODIO_MARKET_MAX_STRING_ARGUMENT_BYTES = 64 * 1024;
        internal const long MODIO_MARKET_KEY_LIFETIME_SECS = 24 * 60 * 60;
        internal const long MODIO_MARKET_MAX_FUTURE_SKEW_SECS = 5 * 60;
        internal const ulong MODIO_MARKET_MAX_RETRY_AFTER_SECS = 3600;
        internal const int MODIO_MARKET_MAX_QUERY_IDS = 100;
        internal const int MODIO_MARKET_MAX_QUERY_TAGS = 32;
        // The header version these mirrors follow; checked against the library at client creation.
        internal const uint MODIO_MARKET_VERSION_MAJOR = 1;
        internal const uint MODIO_MARKET_VERSION_MINOR = 2;
        internal const uint MODIO_MARKET_VERSION_PATCH = 0;

        // -----------------------------------------------------------------------------------
        // Callback types. Every request callback has the same C shape
        //   void cb(void *user_data, uint64_t request_id, const modio_market_error *error, const T *result)
        // (modio_market_auth_cb, _wallet_cb, _sync_cb, _game_cb, _mod_page_cb, _mod_cb,
        // _checkout_cb, _purchases_cb, _delegation_token_cb differ only in T), so one delegate
        // type and one static trampoline serve them all.
        // -----------------------------------------------------------------------------------
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void RequestCallback(IntPtr userData, ulong requestId, IntPtr error, IntPtr result);

        /// <summary><c>modio_market_log_cb</c>.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void LogCallback(IntPtr userData, uint level, IntPtr message);

        /// <summary><c>modio_market_recovery_cb</c>.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void RecoveryCallback(IntPtr userData, IntPtr report);

        /// <summary><c>modio_market_progress_cb</c>: a download's progress (runs inside poll).</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void ProgressCallback(IntPtr userData, ulong requestId, ulong bytesDone, ulong bytesTotal);

        // -----------------------------------------------------------------------------------
        // Struct mirrors, named and laid out exactly as in the header (ABI 1.0: struct_size first,
        // arrays of pointers, nothing embedded by value).
        // -----------------------------------------------------------------------------------
#pragma warning disable 0649 // fields are written by the marshaller
        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_field_error
        {
            public uint struct_size;
            public IntPtr field;
            public IntPtr message;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_error
        {
            public uint struct_size;
            public uint code;
            public uint http_status;
            public long error_ref;
            public IntPtr error_ref_name;
            public IntPtr message;
            public long retry_after_secs;
            public IntPtr field_errors;
            public UIntPtr field_error_count;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_access_token
        {
            public uint struct_size;
            public IntPtr access_token;
            public long date_expires;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_wallet
        {
            public uint struct_size;
            public IntPtr wallet_type;
            public IntPtr currency;
            public IntPtr payment_method_id;
            public ulong game_id;
            public long balance;
            public long pending_balance;
            public long deficit;
            public uint monetization_status;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_entitlement
        {
            public uint struct_size;
            public IntPtr transaction_id;
            public long state;
            public IntPtr state_name;
            public IntPtr sku_id;
            public byte consumed;
            public long entitlement_type;
            public IntPtr details_json;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_entitlement_sync
        {
            public uint struct_size;
            public long balance;
            public IntPtr entitlements;
            public UIntPtr entitlement_count;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_game
        {
            public uint struct_size;
            public ulong id;
            public IntPtr name;
            public uint api_access_options;
            public byte open;
            public byte direct_downloads;
            public byte authorised_downloads_only;
            public byte paid_downloads_need_purchase;
            public IntPtr token_name;
            public IntPtr json;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_mod
        {
            public uint struct_size;
            public ulong id;
            public ulong game_id;
            public IntPtr name;
            public IntPtr name_id;
            public IntPtr summary;
            public long price;
            public IntPtr logo_url;
            public IntPtr profile_url;
            public ulong modfile_id;
            public ulong filesize;
            public IntPtr md5;
            public IntPtr version;
            public ulong downloads_total;
            public uint rating_percentage_positive;
            public double rating_weighted_aggregate;
            public IntPtr rating_display_text;
            public IntPtr json;
        }

        /// <summary>An input struct (the only one): filled by <c>GetModsAsync(ModQuery)</c>.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_mod_query
        {
            public uint struct_size;
            public uint revenue_type;
            public ulong offset;
            public uint limit;
            public uint sort;
            public IntPtr search;
            public IntPtr ids;
            public UIntPtr id_count;
            public IntPtr tags_all;
            public UIntPtr tags_all_count;
            public IntPtr tags_any;
            public UIntPtr tags_any_count;
            public ulong price_min;
            public ulong price_max;
            public byte sort_descending;
            public byte has_price_min;
            public byte has_price_max;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_mod_page
        {
            public uint struct_size;
            public IntPtr mods;
            public UIntPtr mod_count;
            public ulong result_offset;
            public ulong result_limit;
            public ulong result_total;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_transaction
        {
            public uint struct_size;
            public ulong id;
            public IntPtr gateway_uuid;
            public long gross_amount;
            public long net_amount;
            public long platform_fee;
            public long gateway_fee;
            public long tax;
            public IntPtr tax_type;
            public uint state;
            public IntPtr state_name;
            public IntPtr meta_json;
            public long purchase_date;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_checkout
        {
            public uint struct_size;
            public IntPtr transaction;
            public long balance;
            public long deficit;
            public IntPtr wallet_type;
            public IntPtr payment_method_id;
            public IntPtr idempotency_key;
            public IntPtr purchased_mod;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_purchases
        {
            public uint struct_size;
            public IntPtr mods;
            public UIntPtr mod_count;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_delegation_token
        {
            public uint struct_size;
            public IntPtr entity;
            public IntPtr token;
        }
        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_recovery
        {
            public uint struct_size;
            public uint outcome;
            public ulong user_id;
            public ulong mod_id;
            public long display_amount;
            public IntPtr idempotency_key;
            public long attempted_at;
            public IntPtr checkout;
            public IntPtr error;
            public IntPtr journal_file;
        }
        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_terms_link
        {
            public uint struct_size;
            public IntPtr name;
            public IntPtr text;
            public IntPtr url;
            public byte required;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_terms
        {
            public uint struct_size;
            public IntPtr plaintext;
            public IntPtr html;
            public IntPtr agree_text;
            public IntPtr disagree_text;
            public IntPtr links;
            public UIntPtr link_count;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_user
        {
            public uint struct_size;
            public ulong id;
            public IntPtr username;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_token_pack
        {
            public uint struct_size;
            public ulong id;
            public ulong token_pack_id;
            public long price;
            public long amount;
            public IntPtr portal;
            public IntPtr sku;
            public IntPtr name;
            public IntPtr description;
            public long date_added;
            public long date_updated;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_token_packs
        {
            public uint struct_size;
            public IntPtr packs;
            public UIntPtr pack_count;
            public IntPtr token_name;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_unconverted_entitlement
        {
            public uint struct_size;
            public IntPtr sku_id;
            public long entitlement_type;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_unconverted_entitlements
        {
            public uint struct_size;
            public IntPtr entitlements;
            public UIntPtr entitlement_count;
            public ulong total;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_modfile
        {
            public uint struct_size;
            public ulong id;
            public ulong mod_id;
            public ulong filesize;
            public ulong filesize_uncompressed;
            public IntPtr md5;
            public IntPtr filename;
            public IntPtr version;
            public IntPtr changelog;
            public IntPtr metadata_blob;
            public IntPtr binary_url;
            public long date_added;
            public long date_expires;
            public uint virus_status;
            public uint virus_positive;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_installed_mod
        {
            public uint struct_size;
            public ulong mod_id;
            public ulong modfile_id;
            public IntPtr version;
            public IntPtr md5;
            public IntPtr path;
            public long installed_at;
            public ulong size;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct modio_market_installed_list
        {
            public uint struct_size;
            public IntPtr mods;
            public UIntPtr mod_count;
        }
#pragma warning restore 0649

        // -----------------------------------------------------------------------------------
        // Configuration
        // -----------------------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_new(ulong game_id, byte[] api_key, out IntPtr config_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void modio_market_config_free(IntPtr config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_environment(ConfigHandle config, uint environment);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_base_url(ConfigHandle config, byte[] base_url);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_portal(ConfigHandle config, byte[] portal);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_platform(ConfigHandle config, byte[] platform);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_timeouts(ConfigHandle config, uint connect_ms, uint request_ms);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_worker_threads(ConfigHandle config, uint threads);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_allow_insecure_http(ConfigHandle config, [MarshalAs(UnmanagedType.U1)] bool allow);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_max_response_bytes(ConfigHandle config, UIntPtr bytes);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_add_root_certificate_pem(ConfigHandle config, byte[] pem);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_retry_policy(ConfigHandle config, uint max_attempts, uint base_delay_ms, uint max_delay_ms, uint deadline_ms);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_background_retry(ConfigHandle config, uint first_delay_ms, uint max_delay_ms, uint max_attempts);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_data_dir(ConfigHandle config, byte[] path);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_language(ConfigHandle config, byte[] language);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_config_set_install_dir(ConfigHandle config, byte[] path);

        // -----------------------------------------------------------------------------------
        // Client lifetime, pump, cancellation
        // -----------------------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_new(ConfigHandle config, out IntPtr client_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void modio_market_client_free(IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_set_access_token(ClientHandle client, byte[] access_token);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_clear_access_token(ClientHandle client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_set_log_callback(ClientHandle client, uint max_level, LogCallback callback, IntPtr user_data);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_poll(ClientHandle client, out UIntPtr ran_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_wait(ClientHandle client, ulong request_id, uint timeout_ms, out UIntPtr ran_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_cancel(ClientHandle client, ulong request_id);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_pending_requests(ClientHandle client, out UIntPtr count_out);

        // -----------------------------------------------------------------------------------
        // Authentication
        // -----------------------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_auth_steam(ClientHandle client, byte[] appdata, [MarshalAs(UnmanagedType.U1)] bool terms_agreed,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_auth_xbox_live(ClientHandle client, byte[] xbox_token, [MarshalAs(UnmanagedType.U1)] bool terms_agreed,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_auth_psn(ClientHandle client, byte[] auth_code, long env, [MarshalAs(UnmanagedType.U1)] bool terms_agreed,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_auth_meta(ClientHandle client, byte[] device, byte[] nonce, ulong user_id, byte[] access_token,
            [MarshalAs(UnmanagedType.U1)] bool terms_agreed, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_auth_apple(ClientHandle client, byte[] id_token, [MarshalAs(UnmanagedType.U1)] bool terms_agreed,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_auth_google(ClientHandle client, byte[] auth_code, byte[] id_token, [MarshalAs(UnmanagedType.U1)] bool terms_agreed,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_auth_epic(ClientHandle client, byte[] id_token, [MarshalAs(UnmanagedType.U1)] bool terms_agreed,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_auth_udt(ClientHandle client, byte[] delegation_token,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        // -----------------------------------------------------------------------------------
        // The store page
        // -----------------------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_get_terms(ClientHandle client, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_get_user(ClientHandle client, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_get_token_packs(ClientHandle client, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_unconverted_entitlements_steam(ClientHandle client, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_unconverted_entitlements_xbox_live(ClientHandle client, byte[] xbox_token,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_unconverted_entitlements_psn(ClientHandle client, byte[] auth_code, long env, long service_label,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_unconverted_entitlements_epic(ClientHandle client, byte[] epicgames_token, byte[] sandbox_id,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        // -----------------------------------------------------------------------------------
        // Wallet and entitlements
        // -----------------------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_get_wallet(ClientHandle client, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_sync_steam(ClientHandle client, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_sync_xbox_live(ClientHandle client, byte[] xbox_token, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_sync_psn(ClientHandle client, byte[] auth_code, long env, long service_label,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_sync_meta(ClientHandle client, byte[] device, ulong user_id, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_sync_apple(ClientHandle client, byte[] receipt, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_sync_google(ClientHandle client, byte[] receipt, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        // -----------------------------------------------------------------------------------
        // Browsing
        // -----------------------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_get_game(ClientHandle client, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_get_mods(ClientHandle client, uint revenue_type, ulong offset, uint limit, byte[] search,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_get_mods_query(ClientHandle client, ref modio_market_mod_query query,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_get_mod(ClientHandle client, ulong mod_id, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        // -----------------------------------------------------------------------------------
        // Downloads
        // -----------------------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_get_modfile(ClientHandle client, ulong mod_id, ulong modfile_id,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_install_mod(ClientHandle client, ulong mod_id, ProgressCallback progress,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_uninstall_mod(ClientHandle client, ulong mod_id,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_installed_mods(ClientHandle client, out IntPtr list_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void modio_market_installed_list_free(IntPtr list);

        // -----------------------------------------------------------------------------------
        // Checkout and ownership
        // -----------------------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_checkout(ClientHandle client, ulong mod_id, long display_amount, byte[] idempotency_key,
            RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_refresh_purchases(ClientHandle client, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_owns(ClientHandle client, ulong mod_id, [MarshalAs(UnmanagedType.U1)] out bool owns_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_purchases_age(ClientHandle client, out long age_ms_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_request_delegation_token(ClientHandle client, RequestCallback callback, IntPtr user_data, out ulong request_id_out);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_set_recovery_callback(ClientHandle client, RecoveryCallback callback, IntPtr user_data);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_client_resume_checkouts(ClientHandle client);

        // -----------------------------------------------------------------------------------
        // Library-wide
        // -----------------------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr modio_market_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        [return: MarshalAs(UnmanagedType.U1)]
        internal static extern bool modio_market_version_is_compatible(uint header_major, uint header_minor);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr modio_market_result_name(uint result);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr modio_market_result_message(uint result);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr modio_market_error_ref_name(long error_ref);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern ResultCode modio_market_last_error_message(byte[] buffer, UIntPtr buffer_len, out UIntPtr length_out);

        /// <summary>The text of the last failed call on this thread (modio_market_last_error_message).</summary>
        internal static string LastErrorMessage()
        {
            UIntPtr length;
            ResultCode rc = modio_market_last_error_message(null, UIntPtr.Zero, out length);
            if (rc != ResultCode.BufferTooSmall && rc != ResultCode.Ok)
                return null;
            ulong needed = length.ToUInt64() + 1;
            if (needed > int.MaxValue)
                return null;
            var buffer = new byte[(int)needed];
            rc = modio_market_last_error_message(buffer, new UIntPtr(needed), out length);
            if (rc != ResultCode.Ok)
                return null;
            return Utf8.DecodeBytes(buffer, (int)length.ToUInt64());
        }
    }
}
