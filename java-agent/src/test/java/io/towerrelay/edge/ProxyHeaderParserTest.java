package io.towerrelay.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProxyHeaderParserTest {
    private static final byte[] SIG = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    @Test
    void v1Tcp4GivesBothEndpoints() throws Exception {
        ProxyHeader h = ProxyHeaderParser.parse(ascii("PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n"));
        assertThat(h.version()).isEqualTo(1);
        assertThat(h.source()).isEqualTo(new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 56324));
        assertThat(h.destination()).isEqualTo(new InetSocketAddress(InetAddress.getByName("198.51.100.1"), 443));
        assertThat(h.length()).isEqualTo(46);
    }

    @Test
    void v1Tcp6GivesBothEndpoints() throws Exception {
        ProxyHeader h = ProxyHeaderParser.parse(ascii("PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 65535 0\r\n"));
        assertThat(h.source()).isEqualTo(new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 65535));
        assertThat(h.destination().getAddress()).isEqualTo(InetAddress.getByName("192.0.2.1"));
        assertThat(h.destination().getPort()).isZero();
        ProxyHeader full = ProxyHeaderParser.parse(ascii(
                "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"));
        assertThat(full.length()).isEqualTo(104); // the longest TCP6 line; 107 is the spec's bound with slack
    }

    @Test
    void v1UnknownMeansTheRealPeer() throws Exception {
        assertThat(ProxyHeaderParser.parse(ascii("PROXY UNKNOWN\r\n")).carriesAddresses()).isFalse();
        // The spec: a receiver ignores whatever follows UNKNOWN up to the CRLF.
        assertThat(ProxyHeaderParser.parse(ascii("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n")).carriesAddresses()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET / HTTP/1.1\r\n",
            "PROXY\r\n\r\n\r\n\r\n\r\n",
            "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",
            "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
            "PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n",
            "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",
            "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",
            "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
            "PROXY TCP4 localhost 5.6.7.8 1 2\r\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",
            "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n",
            "PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n",
            "PROXY TCP6 1::2::3 ::1 1 2\r\n",
            "PROXY TCP6 12345::1 ::1 1 2\r\n",
            "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
            "PROXY TCP6 [::1] ::1 1 2\r\n",
            "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",
            "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
            "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n",
    })
    void malformedV1IsRefused(String header) {
        assertThatThrownBy(() -> ProxyHeaderParser.parse(ascii(header)))
                .isInstanceOf(ProxyHeaderParser.MalformedHeaderException.class);
    }

    @Test
    void v1LongerThan107BytesIsRefusedWithoutWaitingForMore() {
        byte[] endless = ascii("PROXY UNKNOWN " + "x".repeat(200));
        assertThatThrownBy(() -> ProxyHeaderParser.parse(endless)).hasMessageContaining("longer than 107");
    }

    @Test
    void aNonHeaderIsRefusedAtItsFirstByte() throws Exception {
        ProxyHeaderParser parser = new ProxyHeaderParser();
        assertThatThrownBy(() -> parser.feed(ByteBuffer.wrap(ascii("GET / HTTP/1.1\r\n"))))
                .hasMessageContaining("no PROXY protocol header");
        assertThat(parser.consumed()).isEqualTo(1);
    }

    /** The property the socket reader relies on: fed as it reads, the parser never takes a byte past the header. */
    @ParameterizedTest
    @ValueSource(strings = {
            "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
            "PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n",
            "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
            "PROXY TCP6 :: :: 0 0\r\n",
            "PROXY TCP6 2001:db8::1 2001:db8::2 40000 443\r\n",
            "PROXY UNKNOWN\r\n",
            "PROXY UNKNOWN 1 2\r\n",
    })
    void neverReadsPastAV1Header(String header) throws Exception {
        byte[] wire = concat(ascii(header), ascii("GET / HTTP/1.1\r\n\r\n"));
        ProxyHeaderParser parser = new ProxyHeaderParser();
        ByteBuffer socket = ByteBuffer.wrap(wire);
        while (!parser.complete()) {
            int before = socket.position();
            ByteBuffer read = socket.slice().limit(Math.min(socket.remaining(), parser.wanted()));
            parser.feed(read);
            socket.position(before + read.position());
        }
        assertThat(socket.position()).isEqualTo(header.length());
        assertThat(parser.header().length()).isEqualTo(header.length());
    }

    @Test
    void v2Tcp4WithTlvsGivesTheSource() throws Exception {
        byte[] tlvs = concat(tlv(0x01, ascii("h2")), tlv(0x04, new byte[5]), tlv(0xEA, ascii("vpce-0123")));
        byte[] header = v2(0x21, 0x11, concat(new byte[] {(byte) 192, 0, 2, 10, (byte) 198, 51, 100, 1},
                port(56324), port(443), tlvs));
        ProxyHeader h = ProxyHeaderParser.parse(concat(header, ascii("\u0016\u0003\u0001")));
        assertThat(h.version()).isEqualTo(2);
        assertThat(h.source()).isEqualTo(new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 56324));
        assertThat(h.destination()).isEqualTo(new InetSocketAddress(InetAddress.getByName("198.51.100.1"), 443));
        assertThat(h.length()).isEqualTo(header.length);
    }

    @Test
    void v2Tcp6GivesTheSource() throws Exception {
        byte[] src = InetAddress.getByName("2001:db8::7").getAddress();
        byte[] dst = InetAddress.getByName("2001:db8::8").getAddress();
        ProxyHeader h = ProxyHeaderParser.parse(v2(0x21, 0x21, concat(src, dst, port(1), port(2))));
        assertThat(h.source()).isEqualTo(new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 1));
    }

    @Test
    void v2LocalAndUnspecMeanTheRealPeer() throws Exception {
        // LOCAL (a balancer's health check): whatever the family and block say, the real endpoints are used.
        assertThat(ProxyHeaderParser.parse(v2(0x20, 0x00, new byte[0])).carriesAddresses()).isFalse();
        assertThat(ProxyHeaderParser.parse(v2(0x20, 0x11, new byte[12])).carriesAddresses()).isFalse();
        assertThat(ProxyHeaderParser.parse(v2(0x21, 0x00, new byte[0])).carriesAddresses()).isFalse();
        // UDP and UNIX: the spec's fallback to the real endpoints.
        assertThat(ProxyHeaderParser.parse(v2(0x21, 0x12, new byte[12])).carriesAddresses()).isFalse();
        assertThat(ProxyHeaderParser.parse(v2(0x21, 0x31, new byte[216])).carriesAddresses()).isFalse();
    }

    @Test
    void malformedV2IsRefused() {
        byte[] v4 = concat(new byte[8], port(1), port(2));
        assertRefused(v2(0x11, 0x11, v4), "version 1");
        assertRefused(v2(0x22, 0x11, v4), "unknown command 2");
        assertRefused(v2(0x21, 0x13, v4), "family");
        assertRefused(v2(0x21, 0x10, v4), "family");
        assertRefused(v2(0x21, 0x41, v4), "family");
        assertRefused(v2(0x21, 0x11, new byte[11]), "shorter than its address block");
        assertRefused(v2(0x21, 0x21, new byte[12]), "shorter than its address block");
        assertRefused(v2(0x21, 0x11, concat(v4, new byte[] {0x04, 0x00})), "truncated TLV");
        assertRefused(v2(0x21, 0x11, concat(v4, new byte[] {0x04, 0x00, 0x05, 1, 2})), "TLV longer than the header");
        assertRefused(v2(0x21, 0x11, concat(v4, new byte[] {0x04, (byte) 0xff, (byte) 0xff})), "TLV longer than the header");
        byte[] badSignature = v2(0x21, 0x11, v4);
        badSignature[6] = 0x0B;
        assertRefused(badSignature, "signature");
    }

    @Test
    void v2LengthOverTheLimitIsRefusedBeforeReadingIt() throws Exception {
        byte[] fixed = concat(SIG, new byte[] {0x21, 0x11, (byte) 0xff, (byte) 0xff});
        ProxyHeaderParser parser = new ProxyHeaderParser();
        ByteBuffer in = ByteBuffer.wrap(concat(fixed, new byte[100]));
        assertThatThrownBy(() -> {
            while (in.hasRemaining()) {
                parser.feed(in);
            }
        }).hasMessageContaining("65535 bytes");
        assertThat(parser.consumed()).isEqualTo(16);
    }

    @Test
    void v2WantsExactlyItsLength() throws Exception {
        byte[] header = v2(0x21, 0x11, concat(new byte[8], port(1), port(2), tlv(0x05, new byte[40])));
        ProxyHeaderParser parser = new ProxyHeaderParser();
        parser.feed(ByteBuffer.wrap(header, 0, 15));
        assertThat(parser.wanted()).isEqualTo(1);
        parser.feed(ByteBuffer.wrap(header, 15, 1));
        assertThat(parser.wanted()).isEqualTo(header.length - 16);
        parser.feed(ByteBuffer.wrap(concat(java.util.Arrays.copyOfRange(header, 16, header.length), new byte[] {'G'})));
        assertThat(parser.complete()).isTrue();
        assertThat(parser.consumed()).isEqualTo(header.length);
    }

    @Test
    void incompleteInputIsNotAHeaderYet() throws Exception {
        assertThat(ProxyHeaderParser.parse(ascii("PROXY TCP4 1.2.3.4 5.6"))).isNull();
        assertThat(ProxyHeaderParser.parse(java.util.Arrays.copyOf(SIG, 9))).isNull();
    }

    private static void assertRefused(byte[] header, String reason) {
        assertThatThrownBy(() -> ProxyHeaderParser.parse(header))
                .isInstanceOf(ProxyHeaderParser.MalformedHeaderException.class).hasMessageContaining(reason);
    }

    static byte[] v2(int versionCommand, int family, byte[] payload) {
        return concat(SIG, new byte[] {(byte) versionCommand, (byte) family, (byte) (payload.length >> 8),
                (byte) payload.length}, payload);
    }

    private static byte[] tlv(int type, byte[] value) {
        return concat(new byte[] {(byte) type, (byte) (value.length >> 8), (byte) value.length}, value);
    }

    private static byte[] port(int port) {
        return new byte[] {(byte) (port >> 8), (byte) port};
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
