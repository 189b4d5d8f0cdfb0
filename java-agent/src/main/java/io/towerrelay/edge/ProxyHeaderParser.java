package io.towerrelay.edge;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A strict, incremental parser of one PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2), fed
 * straight from the socket. {@link #wanted()} is a lower bound of the bytes still missing, so a reader that never
 * reads more than that never takes a byte past the header: what follows (a request head, a TLS ClientHello) stays
 * in the socket for whoever reads next, and no bytes need handing back.
 *
 * <p>Strict means: v1 is exactly {@code PROXY SP (TCP4|TCP6) SP src SP dst SP sport SP dport CRLF} (or
 * {@code PROXY UNKNOWN ... CRLF}) within {@value #V1_MAX_LENGTH} bytes, addresses in canonical form (IPv4 without
 * leading zeros), ports 0-65535 without leading zeros, single spaces. v2 needs the 12-byte signature, version 2,
 * command LOCAL or PROXY, one of the seven address family / transport pairs the spec defines, a length of at most
 * {@value #V2_MAX_PAYLOAD} that covers the address block, and TLVs that end exactly at the end of the header
 * (each skipped by its length, never read past the header). Addresses are built from bytes or checked literals,
 * never resolved.
 */
public final class ProxyHeaderParser {
    /** The v1 header's maximum length, CRLF included (the spec's 107). */
    public static final int V1_MAX_LENGTH = 107;
    /**
     * The longest v2 payload (address block and TLVs) accepted. The spec allows 65,535; balancers send a few dozen
     * to a few hundred bytes (addresses, AWS/Azure/GCP endpoint ids, HAProxy's SSL and unique-id TLVs).
     */
    public static final int V2_MAX_PAYLOAD = 2048;

    private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    /** The shortest header of either version: "PROXY UNKNOWN\r\n". The first read never asks for more. */
    private static final int SHORTEST = 15;
    private static final int V2_FIXED = 16;

    /** Thrown for anything that is not a valid header; the message says what (for the log line). */
    public static final class MalformedHeaderException extends Exception {
        MalformedHeaderException(String message) {
            super(message);
        }
    }

    private byte[] buffer = new byte[V1_MAX_LENGTH];
    private int have;
    private int version;
    /** v2: the whole header's length once the fixed part is in. */
    private int v2Length = -1;
    private ProxyHeader header;

    /** The header once complete, else null. */
    public ProxyHeader header() {
        return header;
    }

    public boolean complete() {
        return header != null;
    }

    /** How many bytes have been taken so far. */
    public int consumed() {
        return have;
    }

    /** At least 1 while the header is incomplete, and never more than the header still has; 0 once complete. */
    public int wanted() {
        if (header != null) {
            return 0;
        }
        if (have < SHORTEST) {
            return SHORTEST - have;
        }
        if (version == 2) {
            return v2Length < 0 ? V2_FIXED - have : v2Length - have;
        }
        return v1Wanted();
    }

    /**
     * Takes up to {@link #wanted()} bytes from {@code src} (its position moves past them, no further).
     *
     * @throws MalformedHeaderException as soon as the bytes cannot start or be a valid header
     */
    public void feed(ByteBuffer src) throws MalformedHeaderException {
        int n = Math.min(src.remaining(), wanted());
        for (int i = 0; i < n; i++) {
            take(src.get());
        }
    }

    /**
     * Parses a header at the start of {@code bytes}, fed the way a socket reader would (never past the header).
     *
     * @return the header, or null when {@code bytes} ends before the header does
     */
    public static ProxyHeader parse(byte[] bytes) throws MalformedHeaderException {
        ProxyHeaderParser parser = new ProxyHeaderParser();
        ByteBuffer in = ByteBuffer.wrap(bytes);
        while (!parser.complete() && in.hasRemaining()) {
            parser.feed(in);
        }
        return parser.header();
    }

    private void take(byte b) throws MalformedHeaderException {
        buffer[have++] = b;
        if (have == 1) {
            version = b == 'P' ? 1 : b == 0x0D ? 2 : 0;
            if (version == 0) {
                throw new MalformedHeaderException("no PROXY protocol header (first byte 0x"
                        + Integer.toHexString(b & 0xff) + ")");
            }
        }
        if (version == 1) {
            takeV1(b);
        } else {
            takeV2(b);
        }
    }

    // ---- version 1 ----

    private void takeV1(byte b) throws MalformedHeaderException {
        int at = have - 1;
        if (at < V1_PREFIX.length) {
            if (b != V1_PREFIX[at]) {
                throw new MalformedHeaderException("no PROXY protocol header (does not start with \"PROXY \")");
            }
            return;
        }
        if (b == '\n') {
            if (buffer[at - 1] != '\r') {
                throw new MalformedHeaderException("PROXY v1 header ends with a bare LF");
            }
            header = v1(new String(buffer, 0, at - 1, StandardCharsets.US_ASCII), have);
            return;
        }
        if (at > 0 && buffer[at - 1] == '\r') {
            throw new MalformedHeaderException("PROXY v1 header has a CR not followed by LF");
        }
        if (b != '\r' && (b < 0x20 || b > 0x7e)) {
            throw new MalformedHeaderException("PROXY v1 header has a control or non-ASCII byte");
        }
        if (have == V1_MAX_LENGTH) {
            throw new MalformedHeaderException("PROXY v1 header longer than " + V1_MAX_LENGTH + " bytes");
        }
    }

    /**
     * A lower bound of what a TCP4/TCP6 line still needs: the shortest possible rest of the current field, every
     * later field at its shortest with its space, and CRLF. UNKNOWN lines may carry anything: one byte at a time.
     */
    private int v1Wanted() {
        int left = V1_MAX_LENGTH - have;
        if (buffer[have - 1] == '\r') {
            return 1;
        }
        String start = new String(buffer, 0, 11, StandardCharsets.US_ASCII);
        int[] shortest;
        if (start.equals("PROXY TCP4 ")) {
            shortest = new int[] {7, 7, 1, 1}; // 0.0.0.0 0.0.0.0 0 0
        } else if (start.equals("PROXY TCP6 ")) {
            shortest = new int[] {2, 2, 1, 1}; // :: :: 0 0
        } else {
            return 1;
        }
        int field = 0;
        int current = 0;
        for (int i = 11; i < have; i++) {
            if (buffer[i] == ' ') {
                field++;
                current = 0;
            } else {
                current++;
            }
        }
        if (field > 3) {
            return 1; // too many fields: the line is refused once it ends
        }
        int need = Math.max(0, shortest[field] - current);
        for (int f = field + 1; f < shortest.length; f++) {
            need += 1 + shortest[f];
        }
        need += 2;
        return Math.max(1, Math.min(need, left));
    }

    private static ProxyHeader v1(String line, int length) throws MalformedHeaderException {
        String[] parts = line.split(" ", -1);
        if (parts.length >= 2 && parts[1].equals("UNKNOWN")) {
            return new ProxyHeader(1, null, null, length); // the spec: ignore the rest of an UNKNOWN line
        }
        if (parts.length < 2 || !(parts[1].equals("TCP4") || parts[1].equals("TCP6"))) {
            throw new MalformedHeaderException("PROXY v1 header with unknown protocol (not TCP4, TCP6 or UNKNOWN)");
        }
        if (parts.length != 6) {
            throw new MalformedHeaderException("PROXY v1 " + parts[1] + " header does not have exactly 4 fields separated by single spaces");
        }
        boolean v4 = parts[1].equals("TCP4");
        InetAddress source = v4 ? ipv4(parts[2]) : ipv6(parts[2]);
        InetAddress destination = v4 ? ipv4(parts[3]) : ipv6(parts[3]);
        if (source == null || destination == null) {
            throw new MalformedHeaderException("PROXY v1 " + parts[1] + " header has an invalid address");
        }
        int sourcePort = port(parts[4]);
        int destinationPort = port(parts[5]);
        if (sourcePort < 0 || destinationPort < 0) {
            throw new MalformedHeaderException("PROXY v1 header has an invalid port");
        }
        return new ProxyHeader(1, new InetSocketAddress(source, sourcePort),
                new InetSocketAddress(destination, destinationPort), length);
    }

    /** Decimal 0-65535 without leading zeros, or -1. */
    static int port(String s) {
        if (s.isEmpty() || s.length() > 5 || (s.length() > 1 && s.charAt(0) == '0')) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value <= 65535 ? value : -1;
    }

    /** Four decimal octets 0-255, no leading zeros; null when not exactly that. */
    static InetAddress ipv4(String s) {
        byte[] bytes = ipv4Bytes(s);
        return bytes == null ? null : address(bytes);
    }

    private static byte[] ipv4Bytes(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                return null;
            }
            int value = 0;
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                if (c < '0' || c > '9') {
                    return null;
                }
                value = value * 10 + (c - '0');
            }
            if (value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        return bytes;
    }

    /**
     * Groups of 1-4 hex digits separated by single colons, at most one {@code ::}, eight groups in all; the last
     * 32 bits may be a dotted IPv4 address (inet_ntop writes {@code ::ffff:192.0.2.1}). No zone, no brackets.
     */
    static InetAddress ipv6(String s) {
        if (s.length() < 2 || s.length() > 45) {
            return null;
        }
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        int[] groups = new int[8];
        int count;
        if (gap < 0) {
            count = groups(s, groups, 0, true);
            if (count != 8) {
                return null;
            }
        } else {
            String head = s.substring(0, gap);
            String tail = s.substring(gap + 2);
            int[] tailGroups = new int[8];
            int headCount = head.isEmpty() ? 0 : groups(head, groups, 0, false);
            int tailCount = tail.isEmpty() ? 0 : groups(tail, tailGroups, 0, true);
            if (headCount < 0 || tailCount < 0 || headCount + tailCount > 7) {
                return null;
            }
            System.arraycopy(tailGroups, 0, groups, 8 - tailCount, tailCount);
        }
        byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++) {
            bytes[2 * i] = (byte) (groups[i] >> 8);
            bytes[2 * i + 1] = (byte) groups[i];
        }
        return address(bytes);
    }

    /** Parses colon-separated groups into {@code out}; the last may be dotted IPv4 if allowed. Count, or -1. */
    private static int groups(String s, int[] out, int start, boolean ipv4Tail) {
        String[] parts = s.split(":", -1);
        int n = start;
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (ipv4Tail && i == parts.length - 1 && p.indexOf('.') >= 0) {
                byte[] v4 = ipv4Bytes(p);
                if (v4 == null || n + 2 > 8) {
                    return -1;
                }
                out[n++] = ((v4[0] & 0xff) << 8) | (v4[1] & 0xff);
                out[n++] = ((v4[2] & 0xff) << 8) | (v4[3] & 0xff);
                continue;
            }
            if (p.isEmpty() || p.length() > 4 || n >= 8) {
                return -1;
            }
            int value = 0;
            for (int j = 0; j < p.length(); j++) {
                int digit = Character.digit(p.charAt(j), 16);
                if (digit < 0 || p.charAt(j) > 'f') {
                    return -1;
                }
                value = (value << 4) | digit;
            }
            out[n++] = value;
        }
        return n;
    }

    private static InetAddress address(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes); // from bytes: never a name lookup
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // only for a wrong array length
        }
    }

    // ---- version 2 ----

    private void takeV2(byte b) throws MalformedHeaderException {
        int at = have - 1;
        if (at < V2_SIGNATURE.length) {
            if (b != V2_SIGNATURE[at]) {
                throw new MalformedHeaderException("no PROXY protocol header (bad v2 signature)");
            }
            return;
        }
        if (have == V2_FIXED) {
            checkFixedPart();
            return;
        }
        if (have == v2Length) {
            header = v2();
        }
    }

    private void checkFixedPart() throws MalformedHeaderException {
        int versionCommand = buffer[12] & 0xff;
        if (versionCommand >> 4 != 2) {
            throw new MalformedHeaderException("PROXY v2 header with version " + (versionCommand >> 4));
        }
        int command = versionCommand & 0x0f;
        if (command > 1) {
            throw new MalformedHeaderException("PROXY v2 header with unknown command " + command);
        }
        int family = buffer[13] & 0xff;
        if (command == 1 && addressBlock(family) < 0) {
            throw new MalformedHeaderException("PROXY v2 header with unknown address family/protocol 0x"
                    + Integer.toHexString(family));
        }
        int payload = ((buffer[14] & 0xff) << 8) | (buffer[15] & 0xff);
        if (payload > V2_MAX_PAYLOAD) {
            throw new MalformedHeaderException("PROXY v2 header of " + payload + " bytes, over the " + V2_MAX_PAYLOAD + " accepted");
        }
        if (command == 1 && payload < addressBlock(family)) {
            throw new MalformedHeaderException("PROXY v2 header length " + payload + " is shorter than its address block");
        }
        v2Length = V2_FIXED + payload;
        if (v2Length > buffer.length) {
            buffer = Arrays.copyOf(buffer, v2Length);
        }
        if (payload == 0) {
            header = v2();
        }
    }

    /** The address block's size for a family/protocol byte the spec defines, or -1. */
    private static int addressBlock(int family) {
        switch (family) {
            case 0x00: return 0;            // UNSPEC
            case 0x11: case 0x12: return 12; // TCP / UDP over IPv4
            case 0x21: case 0x22: return 36; // TCP / UDP over IPv6
            case 0x31: case 0x32: return 216; // UNIX stream / datagram
            default: return -1;
        }
    }

    private ProxyHeader v2() throws MalformedHeaderException {
        boolean local = (buffer[12] & 0x0f) == 0;
        if (local) {
            // A balancer's own connection (health check): the spec says use the real endpoints and skip the rest.
            return new ProxyHeader(2, null, null, v2Length);
        }
        int family = buffer[13] & 0xff;
        int block = addressBlock(family);
        skipTlvs(V2_FIXED + block);
        InetSocketAddress source = null;
        InetSocketAddress destination = null;
        if (family == 0x11) {
            source = new InetSocketAddress(address(Arrays.copyOfRange(buffer, 16, 20)), u16(24));
            destination = new InetSocketAddress(address(Arrays.copyOfRange(buffer, 20, 24)), u16(26));
        } else if (family == 0x21) {
            source = new InetSocketAddress(address(Arrays.copyOfRange(buffer, 16, 32)), u16(48));
            destination = new InetSocketAddress(address(Arrays.copyOfRange(buffer, 32, 48)), u16(50));
        }
        // UNSPEC, UDP and UNIX: the spec lets a receiver fall back to the real endpoints.
        return new ProxyHeader(2, source, destination, v2Length);
    }

    /** TLVs (type, 16-bit length, value) must tile the rest of the header exactly; their contents are not used. */
    private void skipTlvs(int from) throws MalformedHeaderException {
        if ((buffer[13] & 0xff) == 0x00) {
            return; // UNSPEC: the receiver ignores the whole block
        }
        int at = from;
        while (at < v2Length) {
            if (v2Length - at < 3) {
                throw new MalformedHeaderException("PROXY v2 header with a truncated TLV");
            }
            int length = u16(at + 1);
            if (length > v2Length - at - 3) {
                throw new MalformedHeaderException("PROXY v2 header with a TLV longer than the header");
            }
            at += 3 + length;
        }
    }

    private int u16(int at) {
        return ((buffer[at] & 0xff) << 8) | (buffer[at + 1] & 0xff);
    }
}
