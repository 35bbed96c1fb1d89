package dev.kiln.dsl;

/**
 * Where a tensor lives and its computations run ({@code torch.device}): {@code cpu}, or {@code cuda:N} for the N-th
 * GPU. As in libtorch, the index is -1 when none was given: {@code Device.of("cuda")} means "the current GPU", which a
 * tensor resolves to {@code cuda:0}. Which devices this machine has: {@link Kiln#devices()}.
 */
public record Device(String type, int index) {
    /** The host's processors: every tensor's device unless it was created on or moved to another one. */
    public static final Device CPU = new Device("cpu", -1);

    public Device {
        if (!type.equals("cpu") && !type.equals("cuda")) {
            throw new IllegalArgumentException("Expected one of cpu, cuda device type at start of device string: " + type);
        }
        if (index < -1) throw new IllegalArgumentException("Device index must be -1 (none) or non-negative, got " + index);
    }

    public static Device cpu() { return CPU; }

    /** The GPU with this index ({@code torch.device("cuda", index)}). */
    public static Device cuda(int index) {
        if (index < 0) throw new IllegalArgumentException("a CUDA device index must be non-negative, got " + index);
        return new Device("cuda", index);
    }

    /** Parses PyTorch's device strings: {@code cpu}, {@code cuda}, {@code cuda:1} ({@code cpu:0} too, as torch accepts it). */
    public static Device of(String device) {
        String s = device.strip();
        int colon = s.indexOf(':');
        String type = colon < 0 ? s : s.substring(0, colon);
        if (!type.equals("cpu") && !type.equals("cuda")) {
            throw new IllegalArgumentException("Expected one of cpu, cuda device type at start of device string: " + device);
        }
        if (colon < 0) return type.equals("cpu") ? CPU : new Device(type, -1);
        String digits = s.substring(colon + 1);
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit) || digits.length() > 9) {
            throw new IllegalArgumentException("Invalid device string: '" + device + "' (expected cpu, cuda or cuda:N with N a non-negative integer)");
        }
        return new Device(type, Integer.parseInt(digits));
    }

    public boolean isCuda() { return type.equals("cuda"); }

    public boolean isCpu() { return type.equals("cpu"); }

    public boolean hasIndex() { return index >= 0; }

    /** {@code cpu}, {@code cuda}, {@code cuda:0}: what {@code str(torch.device(...))} prints. */
    @Override public String toString() { return hasIndex() ? type + ":" + index : type; }
}
