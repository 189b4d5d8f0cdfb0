package io.towerrelay.edge;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Jazzer on the PROXY protocol header parser, as the listener feeds it (never more than {@code wanted()} bytes at
 * a time, in reads of any size). Properties:
 * <ul>
 *   <li>only {@link ProxyHeaderParser.MalformedHeaderException} is thrown, never anything else;</li>
 *   <li>the parser never takes a byte past the header: a header's length is exactly what was consumed, it is within
 *       the v1 (107) or v2 (16 + 2048) bound, the same bytes cut one short are not a header yet, and the bytes after
 *       it (what the HTTP parser or the TLS layer reads next) are left untouched;</li>
 *   <li>the result does not depend on how the bytes were split into reads;</li>
 *   <li>a v1 header with addresses says again what it said when written back canonically (no two readings).</li>
 * </ul>
 * Without JAZZER_FUZZ it replays ProxyHeaderFuzzTestInputs/; the {@code fuzz-proxy-header} execution in
 * java-agent/pom.xml fuzzes it.
 */
class ProxyHeaderFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void parsesStrictlyAndNeverReadsPastTheHeader(byte[] bytes) throws Exception {
        Outcome whole = feed(bytes, Integer.MAX_VALUE);
        Outcome byOne = feed(bytes, 1);
        Outcome byThree = feed(bytes, 3);
        check(whole.equals(byOne) && whole.equals(byThree), "result depends on read sizes: " + whole + " / " + byOne
                + " / " + byThree, bytes);
        if (whole.header == null) {
            return;
        }
        ProxyHeader h = whole.header;
        check(h.length() == whole.consumed, "length " + h.length() + " but consumed " + whole.consumed, bytes);
        check(h.version() == 1 ? h.length() <= ProxyHeaderParser.V1_MAX_LENGTH
                : h.length() <= 16 + ProxyHeaderParser.V2_MAX_PAYLOAD, "header over its bound", bytes);
        check(Objects.equals(feed(Arrays.copyOf(bytes, h.length() - 1), Integer.MAX_VALUE).header, null),
                "the header is complete one byte early", bytes);
        check(h.carriesAddresses() == (h.destination() != null), "source without destination", bytes);
        if (h.version() == 1 && h.carriesAddresses()) {
            String canonical = "PROXY " + (h.source().getAddress() instanceof java.net.Inet4Address ? "TCP4 " : "TCP6 ")
                    + text(h.source()) + " " + text(h.destination()) + " " + h.source().getPort() + " "
                    + h.destination().getPort() + "\r\n";
            ProxyHeader again;
            try {
                again = ProxyHeaderParser.parse(canonical.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            } catch (ProxyHeaderParser.MalformedHeaderException e) {
                // A TCP6 line whose address is IPv4-mapped comes back as an IPv4 address; not a second reading.
                return;
            }
            check(again != null && again.source().equals(h.source()) && again.destination().equals(h.destination()),
                    "canonical form reads differently: " + canonical, bytes);
        }
    }

    private record Outcome(ProxyHeader header, int consumed, String error) {
    }

    /** Feeds {@code bytes} as a socket reader would, reads at most {@code readSize} bytes and never past wanted(). */
    private static Outcome feed(byte[] bytes, int readSize) {
        ProxyHeaderParser parser = new ProxyHeaderParser();
        ByteBuffer socket = ByteBuffer.wrap(bytes);
        try {
            while (!parser.complete() && socket.hasRemaining()) {
                int wanted = parser.wanted();
                if (wanted <= 0) {
                    throw new AssertionError("incomplete but wants nothing");
                }
                ByteBuffer read = socket.slice().limit(Math.min(Math.min(readSize, wanted), socket.remaining()));
                parser.feed(read);
                if (read.hasRemaining()) {
                    throw new AssertionError("fed bytes it was allowed to take were not taken");
                }
                socket.position(socket.position() + read.position());
            }
        } catch (ProxyHeaderParser.MalformedHeaderException e) {
            return new Outcome(null, -1, "malformed");
        }
        if (parser.consumed() != socket.position()) {
            throw new AssertionError("consumed " + parser.consumed() + " but " + socket.position() + " were read");
        }
        return new Outcome(parser.header(), parser.consumed(), null);
    }

    private static String text(InetSocketAddress address) {
        return address.getAddress().getHostAddress();
    }

    private static void check(boolean condition, String what, byte[] input) {
        if (!condition) {
            throw new AssertionError(what + "\ninput: " + HexFormat.of().formatHex(input));
        }
    }
}
