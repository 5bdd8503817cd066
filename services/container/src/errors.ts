/**
 * Zun's exceptions that reach clients. Zun renders the class name as `code: container.<kebab>`
 * and the message as `title` and `detail` (see `zunFault`), so the names are Zun's.
 */
import { BadRequest, Conflict, Forbidden, NotAcceptable, NotFound } from '@tricircle/core'

export class ContainerNotFound extends NotFound {
  constructor(ident: string) {
    super(`Container ${ident} could not be found.`)
  }
}

export class Invalid extends BadRequest {}

export class InvalidParamInVersion extends BadRequest {
  constructor(param: string, version: string) {
    super(
      `Invalid param ${param} because current request version is ${version}. ${param} is only supported from a later version.`,
    )
  }
}

export class InvalidStateException extends Conflict {
  constructor(uuid: string, action: string, status: string) {
    super(`Cannot ${action} container ${uuid} in ${status} state.`)
  }
}

export class ContainerHostNotUp extends Conflict {
  constructor(uuid: string, host: string) {
    super(`Container ${uuid} host ${host} is not up.`)
  }
}

export class Conflicts extends Conflict {}

export class OverQuota extends Forbidden {}

export class PolicyNotAuthorized extends Forbidden {
  constructor(rule: string) {
    super(`Policy doesn't allow ${rule} to be performed.`)
  }
}

export class VersionNotSupported extends NotAcceptable {}

export class ImageNotFound extends NotFound {}
export class NetworkNotFound extends NotFound {}
export class PortNotFound extends NotFound {}
export class SecurityGroupNotFound extends NotFound {}
export class HostNotFound extends NotFound {}
export class ResourceNotFound extends NotFound {}
