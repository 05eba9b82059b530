/** Every metric name of the gateway, in one place: dashboards and alerts depend on them. */
export const METRIC = {
  datagramsReceived: 'cable_inspector_udp_datagrams_received_total',
  datagramsRejected: 'cable_inspector_udp_datagrams_rejected_total',
  repliesSent: 'cable_inspector_udp_replies_sent_total',
  transfers: 'cable_inspector_transfers_total',
  transfersActive: 'cable_inspector_transfers_active',
  transfersDormant: 'cable_inspector_transfers_dormant',
  transferDuration: 'cable_inspector_transfer_duration_seconds',
  imageBytes: 'cable_inspector_image_bytes',
  retransmissions: 'cable_inspector_retransmissions_total',
  storageWrite: 'cable_inspector_storage_write_seconds',
  storageBytes: 'cable_inspector_storage_bytes',
  storageImages: 'cable_inspector_storage_images',
  imagesPruned: 'cable_inspector_images_pruned_total',
  classifications: 'cable_inspector_classifications_total',
  classificationDuration: 'cable_inspector_classification_seconds',
  classifierQueueDepth: 'cable_inspector_classifier_queue_depth',
  resultsConfirmed: 'cable_inspector_results_confirmed_total',
  buildInfo: 'cable_inspector_build_info',
  photosUnavailable: 'cable_inspector_photos_unavailable_total',
  liveClients: 'cable_inspector_live_clients',
  resultsPublished: 'cable_inspector_results_published_total',
  resultsRejected: 'cable_inspector_results_rejected_total',
  outboxPending: 'cable_inspector_outbox_pending',
  outboxBytes: 'cable_inspector_outbox_bytes',
  outboxDropped: 'cable_inspector_outbox_dropped_total',
  deliveryFailures: 'cable_inspector_delivery_failures_total',
  mqttConnected: 'cable_inspector_mqtt_connected',
  modelInfo: 'cable_inspector_model_info',
} as const;

/** Values of the `outcome` label of the transfers counter. */
export type TransferOutcome =
  'completed' | 'refused' | 'expired' | 'aborted' | 'failed' | 'checksum-mismatch';
