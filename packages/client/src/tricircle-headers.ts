/**
 * Set by a region's network service on a device's port list that it answered from its copies
 * alone because central was not answering. Such an answer can miss a port only central knows
 * of (one whose create answer was lost), so a reader that must see every port, such as the
 * clean-up after a container, treats it as the service being unavailable and tries again.
 */
export const COPIES_ONLY_HEADER = 'x-tricircle-copies-only'
