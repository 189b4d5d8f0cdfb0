package io.towerrelay.probe;

/**
 * How a WebSocket ended.
 *
 * @param code        close code (1006 = the TCP connection ended without a close frame)
 * @param reason      close reason, may be empty
 * @param remote      true when the other side (or something in between) ended it
 * @param afterMillis time since the phase it ended in began
 */
public record CloseInfo(int code, String reason, boolean remote, long afterMillis) {
    public static final int ABNORMAL = 1006;

    public String describe() {
        String who = remote ? "by the far end (a proxy or Tower)" : "by the probe";
        String frame = code == ABNORMAL ? "connection dropped without a close frame (1006)" : "close code " + code;
        return String.format(java.util.Locale.ROOT, "closed %s after %.1f s: %s%s", who, afterMillis / 1000.0, frame,
                reason == null || reason.isBlank() ? "" : " \"" + reason + "\"");
    }
}
