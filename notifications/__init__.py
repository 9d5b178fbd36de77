"""Push notifications: what is pushed to whom, delivery with retries, and the FCM backend."""
