package io.towerrelay.http;

/**
 * RFC 9110 {@code tchar}: visible ASCII except the delimiters {@code "(),/:;<=>?@[\]{}}. Kept as a table because the
 * head parsers test every byte of every field name with it; a search of the delimiter string per byte was the
 * largest single part of parsing an answer's head (JFR).
 */
public final class TokenChars {
    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (int c = 0x21; c < 0x7f; c++) {
            TCHAR[c] = "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
        }
    }

    private TokenChars() {
    }

    /** Whether {@code c} (a byte's value, sign and all, or a char) is a token character. */
    public static boolean is(int c) {
        return c >= 0 && c < TCHAR.length && TCHAR[c];
    }

    /** Whether {@code s} is a token: one or more token characters. */
    public static boolean isToken(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!is(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
