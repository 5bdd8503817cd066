import { Conflict, NotFound } from '@tricircle/core'
import { ImageNotFound } from './errors.js'
import type { GlanceImage, ImageSource } from './image-source.js'

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

/**
 * Resolves a container's `image` to one Glance image as Zun does (zun/image/glance/utils.py
 * `find_image`): a UUID is fetched and must be a Docker image; anything else is an exact name
 * among the caller's visible `container_format=docker` images. Zero matches is ImageNotFound,
 * several is a Conflict. An image the caller may not see is a 404 from the service, so it is
 * "not found" here too, never "forbidden".
 */
export async function resolveImage(
  source: ImageSource,
  ref: string,
  token: string,
): Promise<GlanceImage> {
  const notFound = (cause?: unknown) =>
    new ImageNotFound(`Image ${ref} could not be found.`, { cause })
  if (UUID.test(ref)) {
    let image: GlanceImage
    try {
      image = await source.get(ref, token)
    } catch (error) {
      if (error instanceof NotFound) throw notFound(error)
      throw error
    }
    if (image.container_format !== 'docker') throw notFound()
    return image
  }
  const listed = await source.list({ name: ref, container_format: 'docker' }, token)
  // The service filters already; filtering again keeps a lenient service from widening matches.
  const matches = listed.filter((i) => i.name === ref && i.container_format === 'docker')
  if (matches.length > 1) throw new Conflict(`Multiple images exist with same name ${ref}`)
  const [image] = matches
  if (!image) throw notFound()
  return image
}
