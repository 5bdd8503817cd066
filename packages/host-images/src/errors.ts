import { BadRequest, InternalError, NotFound } from '@tricircle/core'

/** Zun's name: no image visible to the caller matches the reference (or it is not a Docker image). */
export class ImageNotFound extends NotFound {}

/** The image's data is not a `docker save` archive; retrying cannot help. */
export class InvalidDockerArchive extends BadRequest {}

/**
 * The downloaded bytes do not match the checksums the image service recorded at upload: the
 * data was corrupted in the store or on the way. Nothing is cached.
 */
export class ImageChecksumMismatch extends InternalError {}
