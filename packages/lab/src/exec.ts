/** The lab runs iproute2 and nft through the shared helpers (`@tricircle/iproute`). */
export * from '@tricircle/iproute'
