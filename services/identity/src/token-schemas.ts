import { Type, type Static } from 'typebox'

const DomainRef = Type.Object({
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
})

export const AuthRequest = Type.Object({
  identity: Type.Object({
    methods: Type.Array(Type.String(), { minItems: 1 }),
    password: Type.Optional(
      Type.Object({
        user: Type.Object({
          id: Type.Optional(Type.String({ minLength: 1 })),
          name: Type.Optional(Type.String({ minLength: 1 })),
          domain: Type.Optional(DomainRef),
          password: Type.String({ maxLength: 4096 }),
        }),
      }),
    ),
    token: Type.Optional(Type.Object({ id: Type.String({ minLength: 1, maxLength: 8192 }) })),
  }),
  scope: Type.Optional(
    Type.Union([
      Type.Literal('unscoped'),
      Type.Object({
        project: Type.Optional(
          Type.Object({
            id: Type.Optional(Type.String({ minLength: 1 })),
            name: Type.Optional(Type.String({ minLength: 1 })),
            domain: Type.Optional(DomainRef),
          }),
        ),
        domain: Type.Optional(DomainRef),
        system: Type.Optional(Type.Object({ all: Type.Optional(Type.Boolean()) })),
      }),
    ]),
  ),
})
export type AuthRequest = Static<typeof AuthRequest>
export type ScopeRequest = AuthRequest['scope']

export const TokenBody = Type.Object({ auth: AuthRequest })
