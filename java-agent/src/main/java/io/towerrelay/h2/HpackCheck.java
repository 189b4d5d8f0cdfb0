package io.towerrelay.h2;

import java.nio.ByteBuffer;

/**
 * Walks a complete HPACK header block (RFC 7541) for what HttpCore5 5.4.4's decoder accepts but must not: a dynamic
 * table size update after the first field or above the table size the relay announced (§4.2, §6.3), index 0
 * (§6.1), integers that overflow, strings running past the block, and invalid Huffman strings (§5.2). It does not
 * keep the dynamic table: HttpCore5 decodes the block afterwards and checks the indexes against it.
 */
final class HpackCheck {
    private final int maxTableSize;

    HpackCheck(int maxTableSize) {
        this.maxTableSize = maxTableSize;
    }

    /** Null when the block is well formed, else what is wrong with it. */
    String problem(ByteBuffer block) {
        int pos = block.position();
        int end = block.limit();
        boolean fieldSeen = false;
        int[] cursor = new int[1];
        while (pos < end) {
            int b = block.get(pos) & 0xff;
            cursor[0] = pos;
            if ((b & 0x80) != 0) { // indexed field
                long index = integer(block, cursor, end, 7);
                if (index < 0) {
                    return "truncated or overflowing integer";
                }
                if (index == 0) {
                    return "indexed field with index 0";
                }
                fieldSeen = true;
                pos = cursor[0];
                continue;
            }
            if ((b & 0xe0) == 0x20) { // dynamic table size update
                if (fieldSeen) {
                    return "dynamic table size update after a header field";
                }
                long size = integer(block, cursor, end, 5);
                if (size < 0) {
                    return "truncated or overflowing integer";
                }
                if (size > maxTableSize) {
                    return "dynamic table size update to " + size + ", above the " + maxTableSize + " announced";
                }
                pos = cursor[0];
                continue;
            }
            int prefix = (b & 0xc0) == 0x40 ? 6 : 4; // with incremental indexing, else without / never indexed
            long index = integer(block, cursor, end, prefix);
            if (index < 0) {
                return "truncated or overflowing integer";
            }
            if (index == 0) {
                String name = string(block, cursor, end);
                if (name != null) {
                    return name;
                }
            }
            String value = string(block, cursor, end);
            if (value != null) {
                return value;
            }
            fieldSeen = true;
            pos = cursor[0];
        }
        return null;
    }

    /** Skips one string literal at {@code cursor[0]}; null when valid, else the problem. */
    private static String string(ByteBuffer block, int[] cursor, int end) {
        if (cursor[0] >= end) {
            return "header block ends inside a field";
        }
        boolean huffman = (block.get(cursor[0]) & 0x80) != 0;
        long length = integer(block, cursor, end, 7);
        if (length < 0) {
            return "truncated or overflowing integer";
        }
        if (length > end - cursor[0]) {
            return "string longer than the header block";
        }
        int start = cursor[0];
        cursor[0] += (int) length;
        return huffman ? HuffmanCheck.problem(block, start, (int) length) : null;
    }

    /** An HPACK integer (§5.1) with an N-bit prefix at {@code cursor[0]}; -1 when truncated or above 2^31 - 1. */
    private static long integer(ByteBuffer block, int[] cursor, int end, int prefixBits) {
        int pos = cursor[0];
        int max = (1 << prefixBits) - 1;
        long value = block.get(pos++) & max;
        if (value < max) {
            cursor[0] = pos;
            return value;
        }
        int shift = 0;
        while (true) {
            if (pos >= end || shift > 28) {
                return -1;
            }
            int b = block.get(pos++) & 0xff;
            value += (long) (b & 0x7f) << shift;
            if (value > Integer.MAX_VALUE) {
                return -1;
            }
            shift += 7;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        cursor[0] = pos;
        return value;
    }
}
