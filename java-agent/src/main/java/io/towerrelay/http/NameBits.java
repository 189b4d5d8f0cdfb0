package io.towerrelay.http;

import org.apache.hc.core5.http.Header;

/**
 * A 64-bit filter of the field names a message holds: one bit per name's length and first and last character,
 * compared without case exactly as {@link String#equalsIgnoreCase} compares them. A clear bit means the name is
 * certainly absent, so the many lookups of headers a message does not carry (Connection, Upgrade, Expect,
 * Transfer-Encoding, X-Forwarded-*, ...) answer without scanning its list; a set bit only means "look". Removing a
 * field leaves its bit set, which is never wrong.
 */
final class NameBits {
    private NameBits() {
    }

    static long of(String name) {
        int n = name.length();
        if (n == 0) {
            return 1L;
        }
        int h = n * 31 + fold(name.charAt(0));
        h = h * 31 + fold(name.charAt(n - 1));
        return 1L << (h & 63);
    }

    static long of(Header... headers) {
        long bits = 0;
        if (headers != null) {
            for (Header h : headers) {
                bits |= h == null ? 0 : of(h.getName());
            }
        }
        return bits;
    }

    static boolean mayHave(long bits, String name) {
        return name != null && (bits & of(name)) != 0;
    }

    /** Equal for two characters exactly when {@code equalsIgnoreCase} takes them as equal. */
    private static int fold(char c) {
        if (c < 0x80) {
            return c >= 'A' && c <= 'Z' ? c + 32 : c;
        }
        return Character.toLowerCase(Character.toUpperCase(c));
    }
}
