/*
 * esp32cam_inspector: an AI-Thinker ESP32-CAM on the production line, with the cable_uplink library
 * (Arduino core for ESP32). When the trigger input goes low (a cable in place), it photographs the
 * cable, uploads the JPEG to the cable-inspector gateway over WiFi (protocol generation C), and
 * drives the reject output (a relay, a lamp) from the verdict.
 *
 * Only the camera, the WiFi and the pins are here; the protocol and the keep-or-reject decision are
 * the library's, compiled and tested on a host (firmware/README.md).
 */
#include <Ticker.h>
#include <WiFi.h>

#include "esp_camera.h"

#include <cable_uplink.h>
#include <cu_socket.h>

// ------------------------------------ Settings ------------------------------------------------

// Network.
static const char WIFI_SSID[] = "factory-line";
static const char WIFI_PASSWORD[] = "change-me";
static const char GATEWAY_HOST[] = "192.168.10.86"; // an address, or a name the network resolves
static const uint16_t GATEWAY_PORT = 44444;
static const uint16_t LOCAL_PORT = 44444; // the port the deployed firmware sends from
static const uint8_t DEVICE_ID = 99;      // unique among the cameras behind one address

// Protocol (cu_config in cable_uplink.h documents each).
static const uint16_t PACKET_SIZE = 1460;       // 1460: one WiFi frame a packet
static const uint32_t REPLY_TIMEOUT_MS = 1000;  // longest wait for a reply before asking again
static const uint32_t RESULT_TIMEOUT_MS = 5000; // wait for the verdict once the image is stored
static const uint32_t UPLOAD_TIMEOUT_MS = 30000;

// Trigger: a sensor or a PLC output pulls this pin low when a cable is in place.
static const int TRIGGER_PIN = 13;
static const uint32_t TRIGGER_DEBOUNCE_MS = 30;
// Also photograph this often without a trigger (0: only on the trigger).
static const uint32_t CAPTURE_INTERVAL_MS = 0;

// Reject output: held active for REJECT_PULSE_MS after a reject.
static const int REJECT_PIN = 14;
static const bool REJECT_ACTIVE_HIGH = true;
static const uint32_t REJECT_PULSE_MS = 500;
// The red LED on the back (lit when low): on while uploading.
static const int STATUS_LED_PIN = 33;

// What rejects a cable besides a defect verdict (all true: only a pass keeps it).
static const bool REJECT_UNCERTAIN = true;
static const bool REJECT_UNANALYSED = true;
static const bool REJECT_WITHOUT_VERDICT = true;

// Camera: an XGA JPEG at quality 12 is 30-150 KB; the protocol takes up to 255 × 1452 = 370260 bytes.
static const framesize_t FRAME_SIZE = FRAMESIZE_XGA;
static const int JPEG_QUALITY = 12; // 0-63, lower is better and larger

// AI-Thinker ESP32-CAM camera wiring.
static const int PWDN_GPIO = 32, RESET_GPIO = -1, XCLK_GPIO = 0, SIOD_GPIO = 26, SIOC_GPIO = 27;
static const int Y9_GPIO = 35, Y8_GPIO = 34, Y7_GPIO = 39, Y6_GPIO = 36, Y5_GPIO = 21, Y4_GPIO = 19;
static const int Y3_GPIO = 18, Y2_GPIO = 5, VSYNC_GPIO = 25, HREF_GPIO = 23, PCLK_GPIO = 22;

// ------------------------------------------------------------------------------------------------

static cu_socket gatewaySocket;
static cu_platform platform;
static cu_uplink uplink;
static uint8_t packetBuffer[PACKET_SIZE];
static cu_policy policy;
static Ticker rejectRelease;
static uint32_t lastCaptureAt = 0;
static int lastTriggerLevel = HIGH;

static void restartAfter(const char *why) {
  Serial.printf("%s: restarting\n", why);
  delay(2000);
  ESP.restart();
}

static void setReject(bool active) {
  digitalWrite(REJECT_PIN, active == REJECT_ACTIVE_HIGH ? HIGH : LOW);
}

static void releaseReject() { setReject(false); }

static void setupCamera() {
  camera_config_t config = {};
  config.pin_pwdn = PWDN_GPIO;
  config.pin_reset = RESET_GPIO;
  config.pin_xclk = XCLK_GPIO;
  config.pin_sccb_sda = SIOD_GPIO;
  config.pin_sccb_scl = SIOC_GPIO;
  config.pin_d7 = Y9_GPIO;
  config.pin_d6 = Y8_GPIO;
  config.pin_d5 = Y7_GPIO;
  config.pin_d4 = Y6_GPIO;
  config.pin_d3 = Y5_GPIO;
  config.pin_d2 = Y4_GPIO;
  config.pin_d1 = Y3_GPIO;
  config.pin_d0 = Y2_GPIO;
  config.pin_vsync = VSYNC_GPIO;
  config.pin_href = HREF_GPIO;
  config.pin_pclk = PCLK_GPIO;
  config.xclk_freq_hz = 20000000;
  config.ledc_timer = LEDC_TIMER_0;
  config.ledc_channel = LEDC_CHANNEL_0;
  config.pixel_format = PIXFORMAT_JPEG;
  config.frame_size = FRAME_SIZE;
  config.jpeg_quality = JPEG_QUALITY;
  // Two buffers in PSRAM, the latest frame on request: the photo is of the cable now in place.
  config.fb_count = 2;
  config.fb_location = CAMERA_FB_IN_PSRAM;
  config.grab_mode = CAMERA_GRAB_LATEST;
  esp_err_t error = esp_camera_init(&config);
  if (error != ESP_OK) {
    Serial.printf("camera init failed: 0x%x\n", (unsigned)error);
    restartAfter("no camera");
  }
}

static void connectWiFi() {
  WiFi.mode(WIFI_STA);
  // Modem sleep delays incoming datagrams by up to a beacon interval: replies would time out.
  WiFi.setSleep(false);
  WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  Serial.printf("connecting to %s", WIFI_SSID);
  for (int waited = 0; WiFi.status() != WL_CONNECTED; waited += 500) {
    if (waited >= 20000) restartAfter("\nno WiFi");
    delay(500);
    Serial.print('.');
  }
  Serial.printf(" %s\n", WiFi.localIP().toString().c_str());
}

static void setupUplink() {
  int opened = cu_socket_open(&gatewaySocket, GATEWAY_HOST, GATEWAY_PORT, NULL, LOCAL_PORT);
  if (opened != CU_SOCKET_OK) restartAfter("cannot open the gateway's socket");
  platform = cu_socket_platform(&gatewaySocket);
  cu_config config;
  cu_config_defaults(&config);
  config.device_id = DEVICE_ID;
  config.packet_size = PACKET_SIZE;
  config.reply_timeout_ms = REPLY_TIMEOUT_MS;
  config.result_timeout_ms = RESULT_TIMEOUT_MS;
  config.upload_timeout_ms = UPLOAD_TIMEOUT_MS;
  if (!cu_uplink_init(&uplink, &platform, &config, packetBuffer, sizeof packetBuffer)) {
    restartAfter("settings out of range");
  }
  policy.reject_uncertain = REJECT_UNCERTAIN;
  policy.reject_unanalysed = REJECT_UNANALYSED;
  policy.reject_without_verdict = REJECT_WITHOUT_VERDICT;
  cu_ping_reply pong;
  if (cu_ping(&uplink, REPLY_TIMEOUT_MS, &pong) == 1) {
    Serial.printf("gateway %s: protocol %u, flags %u\n", GATEWAY_HOST, pong.version, pong.flags);
  } else {
    Serial.printf("gateway %s: no answer to ping yet\n", GATEWAY_HOST);
  }
}

// True once per falling edge of the trigger, after it has stayed low TRIGGER_DEBOUNCE_MS.
static bool triggered() {
  int level = digitalRead(TRIGGER_PIN);
  if (level == lastTriggerLevel) return false;
  delay(TRIGGER_DEBOUNCE_MS);
  level = digitalRead(TRIGGER_PIN);
  bool fell = lastTriggerLevel == HIGH && level == LOW;
  lastTriggerLevel = level;
  return fell;
}

static void inspectCable() {
  digitalWrite(STATUS_LED_PIN, LOW);
  cu_result result = {};
  camera_fb_t *frame = esp_camera_fb_get();
  if (frame == NULL) {
    Serial.println("capture failed");
    result.outcome = CU_INVALID;
  } else {
    cu_upload(&uplink, frame->buf, frame->len, &result);
    esp_camera_fb_return(frame);
  }
  digitalWrite(STATUS_LED_PIN, HIGH);

  cu_action action = cu_decide(&result, &policy);
  if (action == CU_REJECT) {
    setReject(true);
    if (REJECT_PULSE_MS > 0) rejectRelease.once_ms(REJECT_PULSE_MS, releaseReject);
  } else if (REJECT_PULSE_MS == 0) {
    setReject(false);
  }
  Serial.printf("%s in %lu ms (%lu bytes, %lu packets sent, %lu restarts): ", cu_outcome_name(result.outcome),
                (unsigned long)result.total_ms, (unsigned long)result.image_bytes,
                (unsigned long)result.packets_sent, (unsigned long)result.restarts);
  if (result.verdict_received) {
    Serial.printf("%s %s %u.%02u %% -> %s\n", cu_verdict_name(result.verdict.verdict), result.verdict.label,
                  result.verdict.confidence / 100, result.verdict.confidence % 100,
                  action == CU_REJECT ? "REJECT" : "keep");
  } else {
    Serial.printf("no verdict -> %s\n", action == CU_REJECT ? "REJECT" : "keep");
  }
}

void setup() {
  // Outputs to their idle level first: a reset must not fire the rejector.
  pinMode(REJECT_PIN, OUTPUT);
  setReject(false);
  pinMode(STATUS_LED_PIN, OUTPUT);
  digitalWrite(STATUS_LED_PIN, HIGH);
  pinMode(TRIGGER_PIN, INPUT_PULLUP);
  Serial.begin(115200);
  Serial.printf("\ncable inspector camera %u, cable_uplink %s\n", DEVICE_ID, CU_VERSION);
  setupCamera();
  connectWiFi();
  setupUplink();
}

void loop() {
  if (WiFi.status() != WL_CONNECTED) {
    Serial.println("WiFi lost, reconnecting");
    WiFi.reconnect();
    delay(1000);
    return;
  }
  bool due = CAPTURE_INTERVAL_MS > 0 && millis() - lastCaptureAt >= CAPTURE_INTERVAL_MS;
  if (triggered() || due) {
    lastCaptureAt = millis();
    inspectCable();
  }
  delay(1);
}
