// A tiny HTTP/1.1 client for the fake server's control interface (FAKE_MODIO_CONTROL), so the C++
// tests can inject faults without another dependency. Loopback only, POSIX sockets.
#ifndef MODIO_MARKET_TESTS_FAKE_CONTROL_HPP
#define MODIO_MARKET_TESTS_FAKE_CONTROL_HPP

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace fake_control {

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

    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return out;
    timeval timeout{};
    timeout.tv_sec = 10;  // never hang the suite on a broken server
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<unsigned short>(port));
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
        ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return out;
    }
    std::string message = method + " " + prefix + path + " HTTP/1.1\r\nHost: " + host_port +
                          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\nConnection: close\r\n\r\n" + body;
    std::size_t sent = 0;
    while (sent < message.size()) {
        const ssize_t n = ::send(fd, message.data() + sent, message.size() - sent, 0);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    std::string reply;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        reply.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
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
