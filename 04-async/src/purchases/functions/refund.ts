// Skeleton: replaced by the purchase saga's implementation.
export const handler = async (): Promise<never> => {
  throw new Error('not implemented: refund');
};
