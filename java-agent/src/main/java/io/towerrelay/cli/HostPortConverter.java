package io.towerrelay.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine;

/** Reads {@code host:port} or {@code [v6]:port} for listen flags; a bad value is a picocli usage error (exit 2). */
final class HostPortConverter implements CommandLine.ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new CommandLine.TypeConversionException("expected HOST:PORT (e.g. 127.0.0.1:8052), got '" + value + "'");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new CommandLine.TypeConversionException("write IPv6 addresses in brackets, e.g. [::1]:8052; got '" + value + "'");
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("port must be a number in '" + value + "'");
        }
        if (port < 0 || port > 65535) {
            throw new CommandLine.TypeConversionException("port must be 0-65535 in '" + value + "'");
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new CommandLine.TypeConversionException("cannot resolve host '" + host + "'");
        }
        return address;
    }
}
