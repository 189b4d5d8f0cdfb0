package io.towerrelay.h2;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Checks an HPACK Huffman-coded string the way RFC 7541 §5.2 requires and HttpCore5 5.4.4's decoder does not: the
 * EOS symbol must not appear, and the padding after the last symbol must be the most significant bits of EOS (all
 * ones) and shorter than 8 bits. The code table is HttpCore5's own ({@code Huffman.CODES}/{@code LENGTHS}, read
 * once); when it cannot be read (another HttpCore5), strings pass unchecked, as before.
 */
final class HuffmanCheck {
    private static final int EOS = 256;
    /** A binary trie: node i has children at CHILD[2i] (bit 0) and CHILD[2i+1] (bit 1); leaves are -1 - symbol. */
    private static final int[] CHILD = buildTrie();

    private HuffmanCheck() {
    }

    static boolean available() {
        return CHILD != null;
    }

    /** Null when {@code length} bytes of {@code src} from its position are a valid string, else what is wrong. */
    static String problem(ByteBuffer src, int start, int length) {
        if (CHILD == null) {
            return null;
        }
        int node = 0;
        int bitsSinceSymbol = 0;
        boolean allOnes = true;
        for (int i = 0; i < length; i++) {
            int b = src.get(start + i) & 0xff;
            for (int bit = 7; bit >= 0; bit--) {
                int one = (b >> bit) & 1;
                int next = CHILD[2 * node + one];
                bitsSinceSymbol++;
                allOnes &= one == 1;
                if (next == 0) {
                    return "invalid Huffman code";
                }
                if (next < 0) {
                    if (-1 - next == EOS) {
                        return "EOS symbol in a Huffman-coded string";
                    }
                    node = 0;
                    bitsSinceSymbol = 0;
                    allOnes = true;
                } else {
                    node = next;
                }
            }
        }
        if (bitsSinceSymbol > 7) {
            return "Huffman padding longer than 7 bits";
        }
        if (!allOnes) {
            return "Huffman padding is not the prefix of EOS";
        }
        return null;
    }

    private static int[] buildTrie() {
        try {
            Class<?> huffman = Class.forName("org.apache.hc.core5.http2.hpack.Huffman");
            Field codesField = huffman.getDeclaredField("CODES");
            Field lengthsField = huffman.getDeclaredField("LENGTHS");
            codesField.setAccessible(true);
            lengthsField.setAccessible(true);
            int[] codes = (int[]) codesField.get(null);
            byte[] lengths = (byte[]) lengthsField.get(null);
            if (codes.length != 257 || lengths.length != 257) {
                return null;
            }
            int[] child = new int[2 * 600];
            int nodes = 1;
            for (int symbol = 0; symbol < 257; symbol++) {
                int node = 0;
                for (int bit = lengths[symbol] - 1; bit >= 0; bit--) {
                    int one = (codes[symbol] >>> bit) & 1;
                    if (bit == 0) {
                        child[2 * node + one] = -1 - symbol;
                    } else {
                        if (child[2 * node + one] == 0) {
                            child[2 * node + one] = nodes++;
                        }
                        node = child[2 * node + one];
                    }
                }
            }
            return child;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
