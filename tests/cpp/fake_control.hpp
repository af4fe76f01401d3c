// A tiny HTTP/1.1 client for the fake server's control interface (FAKE_MODIO_CONTROL), so the C++
// tests can inject faults without another dependency. Loopback only: POSIX sockets, or Winsock
// when the suite is built with mingw and run under Wine (tests/windows/run.sh).
#ifndef MODIO_MARKET_TESTS_FAKE_CONTROL_HPP
#define MODIO_MARKET_TESTS_FAKE_CONTROL_HPP

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#endif

#include <cstdlib>
#include <string>

namespace fake_control {

#ifdef _WIN32
using socket_handle = SOCKET;
using io_length = int;  // send/recv take an int length on Windows, a size_t on POSIX
inline bool socket_ok(socket_handle fd) { return fd != INVALID_SOCKET; }
inline void close_socket(socket_handle fd) { ::closesocket(fd); }
// Winsock needs WSAStartup once per process; a function-local static does it exactly once.
inline bool network_ready() {
    static const bool ready = [] {
        WSADATA data;
        return ::WSAStartup(MAKEWORD(2, 2), &data) == 0;
    }();
    return ready;
}
// SO_RCVTIMEO/SO_SNDTIMEO take milliseconds as a DWORD on Windows.
inline void set_timeouts(socket_handle fd, int seconds) {
    const DWORD ms = static_cast<DWORD>(seconds) * 1000;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&ms), sizeof ms);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, reinterpret_cast<const char*>(&ms), sizeof ms);
}
#else
using socket_handle = int;
using io_length = std::size_t;
inline bool socket_ok(socket_handle fd) { return fd >= 0; }
inline void close_socket(socket_handle fd) { ::close(fd); }
inline bool network_ready() { return true; }
inline void set_timeouts(socket_handle fd, int seconds) {
    timeval timeout{};
    timeout.tv_sec = seconds;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}
#endif

struct Response {
    int status = 0;
    std::string body;
};

// POSTs (or GETs, with an empty body and method "GET") `body` to FAKE_MODIO_CONTROL + `path`.
inline Response request(const std::string& method, const std::string& path, const std::string& body) {
    Response out;
    const char* control = std::getenv("FAKE_MODIO_CONTROL");  // http://127.0.0.1:PORT/_control
    if (control == nullptr) return out;
    std::string url(control);
    const std::string scheme = "http://";
    if (url.compare(0, scheme.size(), scheme) != 0) return out;
    std::string rest = url.substr(scheme.size());
    const std::size_t slash = rest.find('/');
    const std::string host_port = rest.substr(0, slash);
    const std::string prefix = slash == std::string::npos ? std::string() : rest.substr(slash);
    const std::size_t colon = host_port.rfind(':');
    if (colon == std::string::npos) return out;
    const std::string host = host_port.substr(0, colon);
    const int port = std::atoi(host_port.c_str() + colon + 1);

    if (!network_ready()) return out;
    const socket_handle fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (!socket_ok(fd)) return out;
    set_timeouts(fd, 10);  // never hang the suite on a broken server
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<unsigned short>(port));
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
        ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        close_socket(fd);
        return out;
    }
    std::string message = method + " " + prefix + path + " HTTP/1.1\r\nHost: " + host_port +
                          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\nConnection: close\r\n\r\n" + body;
    std::size_t sent = 0;
    while (sent < message.size()) {
        const int n = static_cast<int>(::send(fd, message.data() + sent, static_cast<io_length>(message.size() - sent), 0));
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    std::string reply;
    char buffer[4096];
    for (;;) {
        const int n = static_cast<int>(::recv(fd, buffer, static_cast<io_length>(sizeof buffer), 0));
        if (n <= 0) break;
        reply.append(buffer, static_cast<std::size_t>(n));
    }
    close_socket(fd);
    // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
    const std::size_t space = reply.find(' ');
    if (space != std::string::npos) out.status = std::atoi(reply.c_str() + space + 1);
    const std::size_t split = reply.find("\r\n\r\n");
    if (split != std::string::npos) out.body = reply.substr(split + 4);
    return out;
}

inline Response post(const std::string& path, const std::string& json) { return request("POST", path, json); }
inline Response del(const std::string& path) { return request("DELETE", path, ""); }
inline Response get(const std::string& path) { return request("GET", path, std::string()); }

}  // namespace fake_control

#endif  // MODIO_MARKET_TESTS_FAKE_CONTROL_HPP
