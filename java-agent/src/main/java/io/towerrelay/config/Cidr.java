package io.towerrelay.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An address block such as {@code 10.0.0.0/8} or {@code ::1/128}; a bare address means just that address. */
public record Cidr(InetAddress network, int prefixLength) {

    public Cidr {
        int max = network.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length must be 0-" + max);
        }
    }

    public static Cidr parse(String text) {
        String s = text == null ? "" : text.trim();
        int slash = s.indexOf('/');
        String addressPart = slash < 0 ? s : s.substring(0, slash);
        // Only literal addresses: a host name here would make trust depend on DNS at start-up.
        if (addressPart.isEmpty() || !addressPart.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("\"" + text + "\" is not an address block (e.g. 10.0.0.0/8, 192.0.2.7, ::1/128)");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(addressPart);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not an address block (e.g. 10.0.0.0/8, 192.0.2.7, ::1/128)");
        }
        int max = address.getAddress().length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("\"" + text + "\": prefix length is not a number");
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("\"" + text + "\": prefix length must be 0-" + max);
            }
        }
        return new Cidr(address, prefix);
    }

    public boolean contains(InetAddress candidate) {
        byte[] net = network.getAddress();
        byte[] addr = candidate.getAddress();
        if (net.length != addr.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (net[i] != addr[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (net[full] & mask) == (addr[full] & mask);
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefixLength;
    }
}
