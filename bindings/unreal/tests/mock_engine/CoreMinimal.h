// A tiny stand-in for the parts of Unreal's CoreMinimal.h and UObject system the ModioMarket plugin
// uses, so its C++ compiles and runs in tests/run.sh without the engine. TCHAR is char here.
// It mirrors the engine's shapes (names, signatures, ownership), not its implementation.
#pragma once

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeindex>
#include <utility>
#include <variant>
#include <vector>

using int8 = signed char;
using uint8 = unsigned char;
using int32 = int;
using uint32 = unsigned int;
using int64 = long long;
using uint64 = unsigned long long;
using TCHAR = char;
using ANSICHAR = char;

#define TEXT(x) x
#define MODIOMARKET_API
#define THIRD_PARTY_INCLUDES_START
#define THIRD_PARTY_INCLUDES_END

// Reflection markup is read by UnrealHeaderTool, not the compiler.
#define UCLASS(...)
#define USTRUCT(...)
#define UENUM(...)
#define UPROPERTY(...)
#define UFUNCTION(...)
#define UMETA(...)
#define MOCK_CAT_(a, b, c) a##b##c
#define MOCK_CAT(a, b, c) MOCK_CAT_(a, b, c)
// Like UHT: each .generated.h defines CURRENT_FILE_ID and one macro per GENERATED_BODY line.
#define GENERATED_BODY() MOCK_CAT(CURRENT_FILE_ID, _GENERATED_BODY_, __LINE__)

template <class T> typename std::remove_reference<T>::type&& MoveTemp(T&& v) { return static_cast<typename std::remove_reference<T>::type&&>(v); }
template <class T> T&& Forward(typename std::remove_reference<T>::type& v) { return static_cast<T&&>(v); }

class FString
{
public:
	FString() = default;
	FString(const char* s) : S(s != nullptr ? s : "") {}
	FString(int32 Len, const char* s) : S(s, static_cast<size_t>(Len)) {}
	explicit FString(std::string s) : S(std::move(s)) {}
	const char* operator*() const { return S.c_str(); }
	bool IsEmpty() const { return S.empty(); }
	int32 Len() const { return static_cast<int32>(S.size()); }
	FString& operator+=(const FString& o) { S += o.S; return *this; }
	FString& operator+=(const char* o) { S += o; return *this; }
	friend FString operator+(const FString& a, const FString& b) { return FString(a.S + b.S); }
	friend FString operator+(const char* a, const FString& b) { return FString(std::string(a) + b.S); }
	bool operator==(const FString& o) const { return S == o.S; }
	bool Contains(const FString& o) const { return S.find(o.S) != std::string::npos; }
	__attribute__((format(printf, 1, 2))) static FString Printf(const char* Format, ...)
	{
		char Buffer[4096];
		va_list Args;
		va_start(Args, Format);
		vsnprintf(Buffer, sizeof Buffer, Format, Args);
		va_end(Args);
		return FString(Buffer);
	}
	const std::string& Std() const { return S; }

private:
	std::string S;
};
using FName = FString;

#define UTF8_TO_TCHAR(x) (x)
class FTCHARToUTF8
{
public:
	explicit FTCHARToUTF8(const TCHAR* s) : S(s) {}
	const ANSICHAR* Get() const { return S.c_str(); }
	int32 Length() const { return static_cast<int32>(S.size()); }

private:
	std::string S;
};

template <class T>
class TArray : public std::vector<T>
{
public:
	using std::vector<T>::vector;
	int32 Num() const { return static_cast<int32>(this->size()); }
	void Add(T v) { this->push_back(std::move(v)); }
	T& AddDefaulted_GetRef() { this->emplace_back(); return this->back(); }
	void Reserve(int32 n) { this->reserve(static_cast<size_t>(n)); }
	void Empty() { this->clear(); }
	void Reset() { this->clear(); }
};

template <class Sig> using TFunction = std::function<Sig>;
template <class Sig> using TFunctionRef = std::function<Sig>;

template <class T>
class TUniquePtr : public std::unique_ptr<T>
{
public:
	using std::unique_ptr<T>::unique_ptr;
	bool IsValid() const { return this->get() != nullptr; }
	T* Get() const { return this->get(); }
	void Reset() { this->reset(); }
};
template <class T, class... A> TUniquePtr<T> MakeUnique(A&&... a) { return TUniquePtr<T>(new T(std::forward<A>(a)...)); }

struct FMath
{
	template <class T> static T Clamp(T v, T lo, T hi) { return v < lo ? lo : (hi < v ? hi : v); }
	template <class T> static T Max(T a, T b) { return a < b ? b : a; }
};

// Templates/ValueOrError.h
template <class V> struct TValueOrError_ValueProxy { V Value; };
template <class E> struct TValueOrError_ErrorProxy { E Error; };
template <class V> TValueOrError_ValueProxy<typename std::decay<V>::type> MakeValue(V&& v) { return {std::forward<V>(v)}; }
template <class E> TValueOrError_ErrorProxy<typename std::decay<E>::type> MakeError(E&& e) { return {std::forward<E>(e)}; }
template <class V, class E>
class TValueOrError
{
public:
	template <class U> TValueOrError(TValueOrError_ValueProxy<U>&& p) : Data(std::in_place_index<0>, std::move(p.Value)) {}
	template <class U> TValueOrError(TValueOrError_ErrorProxy<U>&& p) : Data(std::in_place_index<1>, std::move(p.Error)) {}
	bool HasValue() const { return Data.index() == 0; }
	bool HasError() const { return Data.index() == 1; }
	const V& GetValue() const { return std::get<0>(Data); }
	const E& GetError() const { return std::get<1>(Data); }

private:
	std::variant<V, E> Data;
};

// Logging: every UE_LOG line is kept for the test to inspect (and printed).
struct FMockLogLine { std::string Category, Verbosity, Text; };
std::vector<FMockLogLine>& MockLogLines();
__attribute__((format(printf, 3, 4))) void MockLog(const char* Category, const char* Verbosity, const char* Format, ...);
#define DECLARE_LOG_CATEGORY_EXTERN(Name, Default, Compile) extern int Name
#define DEFINE_LOG_CATEGORY(Name) int Name = 0
#define UE_LOG(Category, Verbosity, Format, ...) ((void)Category, MockLog(#Category, #Verbosity, Format, ##__VA_ARGS__))

// UObject: lifetime tracked by serial number so weak pointers notice destruction.
class UObject
{
public:
	UObject();
	virtual ~UObject();
	bool IsTemplate() const { return bTemplate; }
	uint64 MockSerial = 0;
	bool bTemplate = false;
};
bool MockIsAlive(const UObject* Object, uint64 Serial);
bool& MockGarbageCollecting();
inline bool IsGarbageCollecting() { return MockGarbageCollecting(); }

template <class T>
class TWeakObjectPtr
{
public:
	TWeakObjectPtr() = default;
	TWeakObjectPtr(T* Object) : Ptr(Object), Serial(Object != nullptr ? Object->MockSerial : 0) {}
	TWeakObjectPtr& operator=(T* Object) { Ptr = Object; Serial = Object != nullptr ? Object->MockSerial : 0; return *this; }
	T* Get() const { return Ptr != nullptr && MockIsAlive(Ptr, Serial) ? Ptr : nullptr; }
	bool IsValid() const { return Get() != nullptr; }
	T* operator->() const { return Get(); }

private:
	T* Ptr = nullptr;
	uint64 Serial = 0;
};

// NewObject's objects belong to the mock "garbage collector": MockDestroy collects one, MockCollectAll the rest.
void MockTrackNewObject(UObject* Object);
void MockDestroy(UObject* Object);
void MockCollectAll();
template <class T> T* NewObject()
{
	T* Object = new T();
	MockTrackNewObject(Object);
	return Object;
}
template <class T> T* GetMutableDefault()
{
	static T* Default = [] { T* D = new T(); D->bTemplate = true; return D; }();
	return Default;
}
template <class T> const T* GetDefault() { return GetMutableDefault<T>(); }

struct TStatId {};
#define RETURN_QUICK_DECLARE_CYCLE_STAT(Name, Group) return TStatId()

// Dynamic multicast delegates: Blueprint binds to them; tests use AddLambda.
#define DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(Name, T1, P1)                                                     \
	struct Name                                                                                                   \
	{                                                                                                             \
		std::vector<std::function<void(T1)>> Bound;                                                               \
		void AddLambda(std::function<void(T1)> F) { Bound.push_back(std::move(F)); }                              \
		void Broadcast(T1 A) const                                                                                \
		{                                                                                                         \
			auto Copy = Bound;                                                                                    \
			for (auto& F : Copy) F(A);                                                                            \
		}                                                                                                         \
	}
#define DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(Name, T1, P1, T2, P2)                                          \
	struct Name                                                                                                   \
	{                                                                                                             \
		std::vector<std::function<void(T1, T2)>> Bound;                                                           \
		void AddLambda(std::function<void(T1, T2)> F) { Bound.push_back(std::move(F)); }                          \
		void Broadcast(T1 A, T2 B) const                                                                          \
		{                                                                                                         \
			auto Copy = Bound;                                                                                    \
			for (auto& F : Copy) F(A, B);                                                                         \
		}                                                                                                         \
	}
