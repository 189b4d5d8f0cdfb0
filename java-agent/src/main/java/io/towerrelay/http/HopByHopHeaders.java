package io.towerrelay.http;

import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpMessage;
import org.apache.hc.core5.http.MessageHeaders;

/**
 * Headers that describe one connection, not the message (RFC 9110 section 7.6.1): a proxy must not pass them on.
 * That is the fixed list below plus every header the sender named in its own {@code Connection} header.
 */
public final class HopByHopHeaders {
    /** Lower-case names that are always hop-by-hop. */
    public static final Set<String> ALWAYS = Set.of(
            "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
            "te", "trailer", "transfer-encoding", "upgrade");

    private HopByHopHeaders() {}

    /** The lower-case, trimmed tokens of every {@code Connection} header, e.g. {@code keep-alive, upgrade}. */
    public static Set<String> connectionTokens(MessageHeaders message) {
        return tokens(message, "Connection");
    }

    /** The lower-case, trimmed comma-separated tokens of every header called {@code name}. */
    public static Set<String> tokens(MessageHeaders message, String name) {
        if (!message.containsHeader(name)) {
            return Set.of(); // the usual case: no set, no iterator per request
        }
        Set<String> tokens = new TreeSet<>();
        for (Iterator<Header> it = message.headerIterator(name); it.hasNext(); ) {
            String value = it.next().getValue();
            if (value == null) {
                continue;
            }
            for (String token : value.split(",")) {
                String t = token.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty()) {
                    tokens.add(t);
                }
            }
        }
        return tokens;
    }

    /**
     * Whether one of the comma-separated tokens of the headers called {@code name} is {@code token} (any case,
     * blanks around it ignored): {@code tokens(message, name).contains(token)} without a set, a split array and a
     * lower-case copy per token, which every request with {@code Connection: close} cost.
     */
    public static boolean hasToken(MessageHeaders message, String name, String token) {
        if (!message.containsHeader(name)) {
            return false;
        }
        for (Iterator<Header> it = message.headerIterator(name); it.hasNext(); ) {
            String value = it.next().getValue();
            if (value != null && listHas(value, token)) {
                return true;
            }
        }
        return false;
    }

    /** {@link #hasToken} for {@code Connection}. */
    public static boolean hasConnectionToken(MessageHeaders message, String token) {
        return hasToken(message, "Connection", token);
    }

    private static boolean listHas(String list, String token) {
        int n = list.length();
        for (int start = 0; start <= n; ) {
            int end = list.indexOf(',', start);
            if (end < 0) {
                end = n;
            }
            int s = start;
            int e = end;
            while (s < e && list.charAt(s) <= ' ') { // as String.trim()
                s++;
            }
            while (e > s && list.charAt(e - 1) <= ' ') {
                e--;
            }
            if (e > s && e - s == token.length() && list.regionMatches(true, s, token, 0, e - s)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /** Whether {@code name} must be dropped, given the sender's Connection tokens. */
    public static boolean isHopByHop(String name, Set<String> connectionTokens) {
        if (connectionTokens.isEmpty()) {
            return isAlwaysHopByHop(name);
        }
        String lower = name.toLowerCase(Locale.ROOT);
        return ALWAYS.contains(lower) || connectionTokens.contains(lower);
    }

    /** {@code ALWAYS.contains(name.toLowerCase())} without a lower-case copy of every header name of every message. */
    static boolean isAlwaysHopByHop(String name) {
        return switch (name.length()) {
            case 2 -> name.equalsIgnoreCase("te");
            case 7 -> name.equalsIgnoreCase("trailer") || name.equalsIgnoreCase("upgrade");
            case 10 -> name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("keep-alive");
            case 16 -> name.equalsIgnoreCase("proxy-connection");
            case 17 -> name.equalsIgnoreCase("transfer-encoding");
            case 18 -> name.equalsIgnoreCase("proxy-authenticate");
            case 19 -> name.equalsIgnoreCase("proxy-authorization");
            default -> false;
        };
    }

    /**
     * Removes every hop-by-hop header from {@code message} itself, the others kept in order: an answer passed on
     * as it came, with no second message built for each (an upstream's usual answer has none to remove).
     */
    public static void strip(HttpMessage message) {
        Set<String> named = connectionTokens(message);
        for (Iterator<Header> it = message.headerIterator(); it.hasNext(); ) {
            if (isHopByHop(it.next().getName(), named)) {
                it.remove();
            }
        }
    }

    /** Copies every end-to-end header of {@code from} onto {@code to}, in order, duplicates kept. */
    public static void copyEndToEnd(MessageHeaders from, HttpMessage to) {
        boolean connection = from.containsHeader("Connection");
        for (Iterator<Header> it = from.headerIterator(); it.hasNext(); ) {
            Header header = it.next();
            String name = header.getName();
            if (!isAlwaysHopByHop(name) && !(connection && hasConnectionToken(from, name))) {
                to.addHeader(header);
            }
        }
    }
}
