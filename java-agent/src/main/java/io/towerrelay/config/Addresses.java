package io.towerrelay.config;

import java.net.InetSocketAddress;

/** {@code host:port} and {@code [v6]:port} as written on command lines and in config files. */
public final class Addresses {
    private Addresses() {}

    /** Parses and resolves {@code host:port}; port 0 means "any free port". */
    public static InetSocketAddress parse(String text) {
        String s = text == null ? "" : text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("\"" + text + "\" is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080)");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("\"" + text + "\": write IPv6 addresses in brackets, e.g. [::1]:8080");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + text + "\": port is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("\"" + text + "\": port must be 0-65535");
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("\"" + text + "\": cannot resolve host " + host);
        }
        return address;
    }

    /** {@code 127.0.0.1:8080} / {@code [::1]:8080}, the inverse of {@link #parse}. */
    public static String format(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
